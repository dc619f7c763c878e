using Parley.Internal.Schema;

namespace Parley.Internal.Sqlite;

/// <summary>Compiles Parley's dialect-neutral migration operations to SQLite. What <c>ALTER TABLE</c> cannot do
/// (drop a column, change a column, add one with a non-constant default or NOT NULL without a default, change
/// foreign keys) becomes a <see cref="RebuildStep"/>: https://www.sqlite.org/lang_altertable.html#otheralter</summary>
internal static class SqliteDialect
{
    /// <summary>UTC now in Parley's text format (<c>2026-11-23T10:15:30.123Z</c>).</summary>
    public const string NowSql = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

    public static IReadOnlyList<SchemaStep> Compile(MigrationOp op, SchemaState before, SchemaState after) => op switch
    {
        CreateTable t => [new SqlStep(CreateTableSql(t.Table))],
        DropTable t => [new SqlStep($"DROP TABLE {t.Name}")],
        AddColumn a when a.Column.Default is { IsConstant: false } || (!a.Column.Nullable && a.Column.Default is null) =>
            [Rebuild(a.Table, before, after)],
        AddColumn a => [new SqlStep($"ALTER TABLE {a.Table} ADD COLUMN {ColumnSql(a.Column)}")],
        DropColumn d => [Rebuild(d.Table, before, after)],
        AlterColumn a => [Rebuild(a.Table, before, after)],
        AddForeignKey a => [Rebuild(a.Table, before, after)],
        DropForeignKey d => [Rebuild(d.Table, before, after)],
        SetPrimaryKey k => [Rebuild(k.Table, before, after)],
        RenameColumn r => [new SqlStep($"ALTER TABLE {r.Table} RENAME COLUMN {r.From} TO {r.To}")],
        CreateIndex i => [new SqlStep(CreateIndexSql(i.Index))],
        DropIndex i => [new SqlStep($"DROP INDEX {i.Name}")],
        CreateUpdatedAtTrigger t => [new SqlStep(TriggerSql(t.Trigger))],
        DropUpdatedAtTrigger t => [new SqlStep($"DROP TRIGGER {t.Name}")],
        RawSql r => r.ByEngine.TryGetValue("sqlite", out var sql) ? [new SqlStep(sql)] : [],
        DataStep d => [new DataStepRun(d)],
        _ => throw new NotSupportedException($"SQLite cannot compile {op.GetType().Name}."),
    };

    /// <summary>The statements of a rebuild as the declared schema sees them (indexes, triggers and views that are not
    /// Parley's are recreated too when it runs, from their own SQL).</summary>
    public static IEnumerable<string> RebuildSql(RebuildStep step)
    {
        var t = step.Table.Name;
        var temp = TempName(t);
        var columns = string.Join(", ", step.CopiedColumns);
        yield return CreateTableSql(step.Table with { Name = temp });
        yield return $"INSERT INTO {temp} ({columns}) SELECT {columns} FROM {t}";
        yield return $"DROP TABLE {t}";
        yield return $"ALTER TABLE {temp} RENAME TO {t}";
        foreach (var index in step.After.IndexesOf(t)) yield return CreateIndexSql(index);
        foreach (var trigger in step.After.TriggersOf(t)) yield return TriggerSql(trigger);
        yield return "PRAGMA foreign_key_check";
    }

    public static string TempName(string table) => table + "__parley_rebuild";

    public static string TypeOf(ColumnType type) => type switch
    {
        ColumnType.Serial or ColumnType.Integer or ColumnType.Boolean => "INTEGER",
        _ => "TEXT",
    };

    public static string? DefaultSql(ColumnDef column) => column.Default switch
    {
        null => null,
        { IsConstant: false } => $"({NowSql})",
        { Value: bool b } => b ? "1" : "0",
        var d => d.ToString(),
    };

    public static string CreateTableSql(TableDef table)
    {
        var parts = table.Columns.Select(ColumnSql).ToList();
        if (!table.Columns.Any(c => c.Type == ColumnType.Serial))
            parts.Add($"PRIMARY KEY ({string.Join(", ", table.PrimaryKey)})");
        foreach (var fk in table.ForeignKeys)
        {
            parts.Add($"FOREIGN KEY ({string.Join(", ", fk.Columns)}) REFERENCES {fk.RefTable} ({string.Join(", ", fk.RefColumns)})"
                      + (fk.CascadeDelete ? " ON DELETE CASCADE" : ""));
        }
        return $"CREATE TABLE {table.Name} (\n    {string.Join(",\n    ", parts)}\n)";
    }

    public static string CreateIndexSql(IndexDef index) =>
        $"CREATE {(index.Unique ? "UNIQUE " : "")}INDEX {index.Name} ON {index.Table} ({string.Join(", ", index.Columns)})"
        + (index.Where is null ? "" : $" WHERE {index.Where}");

    /// <summary>Keeps <c>updated_at</c> current for writers that do not set it; Parley's own writer sets it, which
    /// the WHEN clause sees, so the trigger costs it nothing. Recursive triggers are off, so the inner UPDATE does
    /// not fire it again.</summary>
    public static string TriggerSql(UpdatedAtTrigger t) =>
        $"CREATE TRIGGER {t.Name} AFTER UPDATE ON {t.Table} FOR EACH ROW WHEN NEW.{t.Column} IS OLD.{t.Column} " +
        $"BEGIN UPDATE {t.Table} SET {t.Column} = {NowSql} WHERE rowid = NEW.rowid; END";

    private static string ColumnSql(ColumnDef c) =>
        // A Serial column is SQLite's rowid alias, which must be declared inline.
        c.Type == ColumnType.Serial
            ? $"{c.Name} INTEGER PRIMARY KEY"
            : $"{c.Name} {TypeOf(c.Type)}{(c.Nullable ? "" : " NOT NULL")}{(DefaultSql(c) is { } d ? $" DEFAULT {d}" : "")}";

    private static RebuildStep Rebuild(string table, SchemaState before, SchemaState after)
    {
        var old = before.Table(table).Columns.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var now = after.Table(table);
        // New columns are left out of the copy so they take their default (which may be the current time).
        return new RebuildStep(now, [.. now.Columns.Select(c => c.Name).Where(old.Contains)], after);
    }
}
