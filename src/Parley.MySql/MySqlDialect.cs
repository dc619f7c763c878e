using Parley.Internal.Schema;

namespace Parley.MySql;

/// <summary>An <c>ALTER TABLE … ADD COLUMN</c> tried first with <c>ALGORITHM=INSTANT</c> (metadata only) and run
/// plainly when the server says the instant path does not apply.</summary>
internal sealed record InstantSqlStep(string Sql) : SchemaStep;

/// <summary>Compiles Parley's dialect-neutral migration operations to MySQL 8 / MariaDB 10.6+. Tables are InnoDB,
/// utf8mb4 with a binary collation (ids and keys compare exactly, as on the other engines). There are no partial
/// indexes: an index's predicate is dropped (Parley's only skip NULLs, which unique indexes never compare).
/// <c>updated_at</c> is kept by <c>ON UPDATE CURRENT_TIMESTAMP(3)</c>, which introspection reports as the trigger
/// <c>trg_{table}_{column}</c>.</summary>
internal static class MySqlDialect
{
    public const string TableOptions = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";

    public static IReadOnlyList<SchemaStep> Compile(MigrationOp op, SchemaState after) => op switch
    {
        CreateTable t => [new SqlStep(CreateTableSql(t.Table, after))],
        DropTable t => [new SqlStep($"DROP TABLE {t.Name}")],
        AddColumn a => [new InstantSqlStep($"ALTER TABLE {a.Table} ADD COLUMN {ColumnSql(a.Table, a.Column, after)}")],
        DropColumn d => [new SqlStep($"ALTER TABLE {d.Table} DROP COLUMN {d.Column}")],
        AlterColumn a => [new SqlStep($"ALTER TABLE {a.Table} MODIFY COLUMN {ColumnSql(a.Table, a.Column, after)}")],
        RenameColumn r => [new SqlStep($"ALTER TABLE {r.Table} RENAME COLUMN {r.From} TO {r.To}")],
        CreateIndex i => [new SqlStep(CreateIndexSql(i.Index))],
        DropIndex i => [new SqlStep($"DROP INDEX {i.Name} ON {i.Table}")],
        AddForeignKey a => [new SqlStep($"ALTER TABLE {a.Table} ADD {ForeignKeySql(a.Table, a.ForeignKey)}")],
        DropForeignKey d => [new SqlStep($"ALTER TABLE {d.Table} DROP FOREIGN KEY {ForeignKeyName(d.Table, d.ForeignKey)}")],
        SetPrimaryKey k => [new SqlStep($"ALTER TABLE {k.Table} DROP PRIMARY KEY, ADD PRIMARY KEY ({string.Join(", ", k.Columns)})")],
        CreateUpdatedAtTrigger t => [new SqlStep($"ALTER TABLE {t.Trigger.Table} MODIFY COLUMN {ColumnSql(t.Trigger.Table, ColumnOf(after, t.Trigger.Table, t.Trigger.Column), after)}")],
        DropUpdatedAtTrigger t => [new SqlStep($"ALTER TABLE {t.Table} MODIFY COLUMN {ColumnSql(t.Table, ColumnOf(after, t.Table, TriggerColumn(t)), after)}")],
        RawSql r => r.ByEngine.TryGetValue("mysql", out var sql) ? [new SqlStep(sql)] : [],
        DataStep d => [new DataStepRun(d)],
        _ => throw new NotSupportedException($"MySQL cannot compile {op.GetType().Name}."),
    };

    /// <summary>The type as <c>information_schema.COLUMNS</c> reports it (display widths removed). MariaDB stores
    /// JSON as <c>longtext</c> with a <c>json_valid</c> check.</summary>
    public static string TypeOf(ColumnDef c, bool mariaDb) => c.Type switch
    {
        ColumnType.Json => mariaDb ? "longtext" : "json",
        _ => DdlType(c),
    };

    private static string DdlType(ColumnDef c) => c.Type switch
    {
        ColumnType.Serial or ColumnType.Integer => "bigint",
        ColumnType.Boolean => "tinyint(1)",
        ColumnType.Timestamp => "datetime(3)",
        ColumnType.Json => "json",
        ColumnType.Text when c.Length > 0 => $"varchar({c.Length})",
        _ => "longtext",
    };

    public static string? DefaultSql(ColumnDef c) => c.Default switch
    {
        null => null,
        { IsConstant: false } => "current_timestamp(3)",
        { Value: bool b } => b ? "1" : "0",
        var d => d.ToString(),
    };

    public static string CreateTableSql(TableDef table, SchemaState after)
    {
        var parts = table.Columns.Select(c => ColumnSql(table.Name, c, after)).ToList();
        parts.Add($"PRIMARY KEY ({string.Join(", ", table.PrimaryKey)})");
        parts.AddRange(table.ForeignKeys.Select(fk => ForeignKeySql(table.Name, fk)));
        return $"CREATE TABLE {table.Name} (\n    {string.Join(",\n    ", parts)}\n) {TableOptions}";
    }

    public static string CreateIndexSql(IndexDef index) =>
        $"CREATE {(index.Unique ? "UNIQUE " : "")}INDEX {index.Name} ON {index.Table} ({string.Join(", ", index.Columns)})";

    public static string ForeignKeyName(string table, ForeignKeyDef fk) => $"fk_{table}_{string.Join("_", fk.Columns)}";

    private static string ForeignKeySql(string table, ForeignKeyDef fk) =>
        $"CONSTRAINT {ForeignKeyName(table, fk)} FOREIGN KEY ({string.Join(", ", fk.Columns)}) REFERENCES {fk.RefTable} ({string.Join(", ", fk.RefColumns)})"
        + (fk.CascadeDelete ? " ON DELETE CASCADE" : "");

    private static string ColumnSql(string table, ColumnDef c, SchemaState after)
    {
        if (c.Type == ColumnType.Serial) return $"{c.Name} bigint NOT NULL AUTO_INCREMENT";
        var onUpdate = after.TriggersOf(table).Any(t => t.Column == c.Name) ? " ON UPDATE current_timestamp(3)" : "";
        return $"{c.Name} {DdlType(c)}{(c.Nullable ? " NULL" : " NOT NULL")}{(DefaultSql(c) is { } d ? $" DEFAULT {d}" : "")}{onUpdate}";
    }

    private static ColumnDef ColumnOf(SchemaState state, string table, string column) =>
        state.Table(table).Columns.FirstOrDefault(c => c.Name == column)
        ?? throw new InvalidOperationException($"{table}.{column} is not declared.");

    /// <summary>The column an updated_at trigger named <c>trg_{table}_{column}</c> keeps.</summary>
    private static string TriggerColumn(DropUpdatedAtTrigger t)
    {
        var prefix = $"trg_{t.Table}_";
        return t.Name.StartsWith(prefix, StringComparison.Ordinal) ? t.Name[prefix.Length..] : "updated_at";
    }
}
