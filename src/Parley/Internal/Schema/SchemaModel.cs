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

/// <summary>A constant column default, written in each dialect's literal syntax.</summary>
internal sealed record DefaultValue(object Value)
{
    public static DefaultValue Of(long value) => new(value);
    public static DefaultValue Of(string value) => new(value);
    public static DefaultValue Of(bool value) => new(value);
    public override string ToString() => Value switch
    {
        string s => $"'{s.Replace("'", "''", StringComparison.Ordinal)}'",
        bool b => b ? "true" : "false",
        _ => Convert.ToString(Value, System.Globalization.CultureInfo.InvariantCulture)!,
    };
}

internal sealed record ColumnDef(string Name, ColumnType Type, int Length = 0, bool Nullable = true, DefaultValue? Default = null)
{
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
