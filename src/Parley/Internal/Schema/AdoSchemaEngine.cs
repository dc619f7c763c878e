using System.Data.Common;
using Parley.Internal.Kernel;

namespace Parley.Internal.Schema;

/// <summary>The parts of a server engine's schema management that are the same SQL everywhere: the history table's
/// rows, system events, running SQL and data steps on the connection that holds the lock. An engine adds its
/// lock, its DDL dialect and its introspection.</summary>
internal abstract class AdoSchemaEngine(SqlFlavor flavor) : ISchemaEngine
{
    public abstract string Engine { get; }

    /// <summary>The connection that migrations run on, open while the lock is held.</summary>
    protected abstract DbConnection Work { get; }

    /// <summary>The engine's <c>CREATE TABLE IF NOT EXISTS parley_schema_history</c>.</summary>
    protected abstract string HistoryDdl { get; }

    /// <summary>A query with one parameter, <c>@t</c>, that returns a row when the table exists.</summary>
    protected abstract string TableExistsSql { get; }

    public abstract void Lock(Action<string> waiting);
    public abstract void Unlock(bool commit);
    public abstract IReadOnlyList<SchemaStep> Compile(MigrationOp op, SchemaState before, SchemaState after);
    public abstract LiveSchema Introspect();
    public abstract string TypeName(ColumnDef column);
    public abstract string? DefaultSql(ColumnDef column);
    public abstract void Dispose();

    public virtual bool PartialIndexes => true;
    public virtual bool TransactionalDdl => true;

    public void EnsureHistory() => Exec(HistoryDdl);

    public abstract void Connect();

    public bool HistoryExists() => Query(TableExistsSql, r => 1, ("@t", ParleySchema.HistoryTable)).Count > 0;

    public IReadOnlyList<HistoryRow> ReadHistory() => Query(
        $"SELECT version, name, checksum, applied_at, execution_ms, applied_by, state FROM {ParleySchema.HistoryTable} ORDER BY version",
        r => new HistoryRow(Convert.ToInt32(r.GetValue(0), System.Globalization.CultureInfo.InvariantCulture), r.GetString(1), r.GetString(2),
            RowReaders.TimeAt(r, 3), r.GetInt64(4), r.GetString(5), r.GetString(6)));

    public void WriteHistory(HistoryRow row)
    {
        DeleteHistory(row.Version);
        Exec($"INSERT INTO {ParleySchema.HistoryTable} (version, name, checksum, applied_at, execution_ms, applied_by, state) VALUES (@v, @n, @c, @at, @ms, @by, @s)",
            ("@v", row.Version), ("@n", row.Name), ("@c", row.Checksum), ("@at", row.AppliedAt), ("@ms", row.ExecutionMs), ("@by", row.AppliedBy), ("@s", row.State));
    }

    public void DeleteHistory(int version) => Exec($"DELETE FROM {ParleySchema.HistoryTable} WHERE version = @v", ("@v", version));

    public virtual IEnumerable<string> Render(SchemaStep step) => step switch
    {
        SqlStep s => [s.Sql],
        DataStepRun d => [$"-- data step: {d.Step.Name} (C#)"],
        _ => throw new NotSupportedException(step.GetType().Name),
    };

    public virtual void Execute(SchemaStep step)
    {
        switch (step)
        {
            case SqlStep s: Exec(s.Sql); break;
            case DataStepRun d: d.Step.Run(new MigrationContext(Work, Engine, flavor)); break;
            default: throw new NotSupportedException(step.GetType().Name);
        }
    }

    public void RecordSystemEvent(SystemEventLevel level, string name, string detailJson)
    {
        // At version 0 (before the first migration, or after rolling back to it) the table does not exist.
        if (Query(TableExistsSql, r => 1, ("@t", "parley_system_events")).Count == 0) return;
        Exec("INSERT INTO parley_system_events (level, source, event, detail, at) VALUES (@l, 'schema', @e, @d, @at)",
            ("@l", WireNames.Of(level)), ("@e", name), ("@d", new JsonText(detailJson)), ("@at", DateTimeOffset.UtcNow));
    }

    protected int Exec(string sql, params (string Name, object? Value)[] args) => Command(Work, sql, args).ExecuteNonQuery();

    protected List<T> Query<T>(string sql, Func<DbDataReader, T> read, params (string Name, object? Value)[] args) => Query(Work, sql, read, args);

    protected List<T> Query<T>(DbConnection conn, string sql, Func<DbDataReader, T> read, params (string Name, object? Value)[] args)
    {
        using var cmd = Command(conn, sql, args);
        using var r = cmd.ExecuteReader();
        var list = new List<T>();
        while (r.Read()) list.Add(read(r));
        return list;
    }

    private DbCommand Command(DbConnection conn, string sql, (string Name, object? Value)[] args)
    {
        var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in args)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            flavor.Bind(p, value);
            cmd.Parameters.Add(p);
        }
        return cmd;
    }
}
