namespace Parley.Internal.Schema;

/// <summary>Dialect-neutral column types; each engine's dialect maps them (SQLite: <c>SqliteDialect</c>).</summary>
internal enum ColumnType
{
    /// <summary>64-bit integer key assigned by the database.</summary>
    Serial,
    /// <summary>Text with a maximum length in characters.</summary>
    Text,
    /// <summary>Unbounded text (message content).</summary>
    LongText,
    /// <summary>64-bit integer.</summary>
    Integer,
    /// <summary>True or false.</summary>
    Boolean,
    /// <summary>UTC time to the millisecond.</summary>
    Timestamp,
    /// <summary>A JSON document.</summary>
    Json,
}

/// <summary>A column default: a constant written in each dialect's literal syntax, or the current time
/// (<see cref="Now"/>), which is not constant and so cannot be added by SQLite's <c>ALTER TABLE</c>.</summary>
internal sealed record DefaultValue(object Value)
{
    private sealed record CurrentTime
    {
        public override string ToString() => "now";
    }

    public static DefaultValue Of(long value) => new(value);
    public static DefaultValue Of(string value) => new(value);
    public static DefaultValue Of(bool value) => new(value);

    /// <summary>The time the row is written.</summary>
    public static DefaultValue Now { get; } = new(new CurrentTime());

    public bool IsConstant => Value is not CurrentTime;

    public override string ToString() => Value switch
    {
        string s => $"'{s.Replace("'", "''", StringComparison.Ordinal)}'",
        bool b => b ? "true" : "false",
        _ => Convert.ToString(Value, System.Globalization.CultureInfo.InvariantCulture)!,
    };
}

internal sealed record ColumnDef(string Name, ColumnType Type, int Length = 0, bool Nullable = true, DefaultValue? Default = null)
{
    /// <summary>Whether this column's values fit in <paramref name="to"/> without loss (false: narrowing).</summary>
    public bool WidensTo(ColumnDef to) =>
        Type == to.Type ? Type != ColumnType.Text || to.Length == 0 || (Length != 0 && Length <= to.Length)
        : to.Type is ColumnType.LongText || (to.Type == ColumnType.Text && to.Length == 0);

    public override string ToString() =>
        $"{Name} {Type}{(Length > 0 ? $"({Length})" : "")}{(Nullable ? "" : " not null")}{(Default is null ? "" : $" default {Default}")}";
}

internal sealed record ForeignKeyDef(IReadOnlyList<string> Columns, string RefTable, IReadOnlyList<string> RefColumns, bool CascadeDelete)
{
    public override string ToString() =>
        $"fk ({string.Join(",", Columns)}) -> {RefTable}({string.Join(",", RefColumns)}){(CascadeDelete ? " cascade" : "")}";
}

internal sealed record TableDef(string Name, IReadOnlyList<ColumnDef> Columns, IReadOnlyList<string> PrimaryKey, IReadOnlyList<ForeignKeyDef> ForeignKeys)
{
    public override string ToString() =>
        $"table {Name} ({string.Join(", ", Columns)}; pk ({string.Join(",", PrimaryKey)}); {string.Join("; ", ForeignKeys)})";
}

/// <summary>An index; <see cref="Where"/> is a partial-index predicate of the form <c>column IS NOT NULL</c>, which
/// engines without partial indexes may drop when NULLs do not collide anyway (unique indexes ignore NULLs).</summary>
internal sealed record IndexDef(string Name, string Table, IReadOnlyList<string> Columns, bool Unique = false, string? Where = null)
{
    public override string ToString() =>
        $"{(Unique ? "unique " : "")}index {Name} on {Table} ({string.Join(",", Columns)}){(Where is null ? "" : $" where {Where}")}";
}

/// <summary>A trigger that keeps <see cref="Column"/> at the time of the row's last change, for writers other than
/// Parley's (README, "Schema management"): triggers on SQLite and PostgreSQL, <c>ON UPDATE</c> on MySQL.</summary>
internal sealed record UpdatedAtTrigger(string Name, string Table, string Column)
{
    public override string ToString() => $"updated_at trigger {Name} on {Table} ({Column})";
}
