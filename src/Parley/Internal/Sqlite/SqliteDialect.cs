using Parley.Internal.Schema;

namespace Parley.Internal.Sqlite;

/// <summary>Compiles Parley's dialect-neutral migration operations to SQLite DDL.</summary>
internal static class SqliteDialect
{
    public static IEnumerable<string> Compile(MigrationOp op) => op switch
    {
        CreateTable t => [CreateTableSql(t.Table)],
        DropTable t => [$"DROP TABLE {t.Name}"],
        CreateIndex i => [CreateIndexSql(i.Index)],
        DropIndex i => [$"DROP INDEX {i.Name}"],
        _ => throw new NotSupportedException($"SQLite cannot compile {op.GetType().Name} yet."),
    };

    public static string TypeOf(ColumnType type) => type switch
    {
        ColumnType.Serial or ColumnType.Integer or ColumnType.Boolean => "INTEGER",
        _ => "TEXT",
    };

    public static string Literal(DefaultValue value) => value.Value switch
    {
        bool b => b ? "1" : "0",
        _ => value.ToString(),
    };

    private static string CreateTableSql(TableDef table)
    {
        var parts = new List<string>();
        foreach (var c in table.Columns)
        {
            // A Serial column is SQLite's rowid alias, which must be declared inline.
            var sql = c.Type == ColumnType.Serial
                ? $"{c.Name} INTEGER PRIMARY KEY"
                : $"{c.Name} {TypeOf(c.Type)}{(c.Nullable ? "" : " NOT NULL")}{(c.Default is null ? "" : $" DEFAULT {Literal(c.Default)}")}";
            parts.Add(sql);
        }
        if (!table.Columns.Any(c => c.Type == ColumnType.Serial))
            parts.Add($"PRIMARY KEY ({string.Join(", ", table.PrimaryKey)})");
        foreach (var fk in table.ForeignKeys)
        {
            parts.Add($"FOREIGN KEY ({string.Join(", ", fk.Columns)}) REFERENCES {fk.RefTable} ({string.Join(", ", fk.RefColumns)})"
                      + (fk.CascadeDelete ? " ON DELETE CASCADE" : ""));
        }
        return $"CREATE TABLE {table.Name} (\n    {string.Join(",\n    ", parts)}\n)";
    }

    private static string CreateIndexSql(IndexDef index) =>
        $"CREATE {(index.Unique ? "UNIQUE " : "")}INDEX {index.Name} ON {index.Table} ({string.Join(", ", index.Columns)})"
        + (index.Where is null ? "" : $" WHERE {index.Where}");
}
