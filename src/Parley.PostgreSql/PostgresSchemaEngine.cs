using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;
using Parley.Internal.Kernel;
using Parley.Internal.Schema;

namespace Parley.PostgreSql;

/// <summary>Schema management on PostgreSQL. The migration lock is a session advisory lock held on a dedicated
/// connection (released by the server if the holder dies); the migrations run on a second connection inside one
/// transaction, committed or rolled back when the lock is released — PostgreSQL's DDL is transactional. A waiting
/// process names the holder from <c>pg_stat_activity</c> (Parley's connections carry their pid and host).</summary>
internal sealed partial class PostgresSchemaEngine(NpgsqlConnectionStringBuilder? cs, TimeSpan lockTimeout) : AdoSchemaEngine(PostgresFlavor.Instance)
{
    /// <summary>The advisory lock key: "parley" in ASCII.</summary>
    private const long LockKey = 0x7061726C6579;

    private NpgsqlConnection? _lock, _work;

    public override string Engine => "postgres";

    protected override DbConnection Work => _work ?? throw new InvalidOperationException("the migration lock is not held.");

    protected override string HistoryDdl => $"""
        CREATE TABLE IF NOT EXISTS {ParleySchema.HistoryTable} (
            version integer PRIMARY KEY,
            name text NOT NULL,
            checksum text NOT NULL,
            applied_at timestamptz(3) NOT NULL,
            execution_ms bigint NOT NULL,
            applied_by text NOT NULL,
            state text NOT NULL
        )
        """;

    protected override string TableExistsSql => "SELECT 1 WHERE to_regclass(@t) IS NOT NULL";

    public override void Connect()
    {
        _work = Open();
        Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    }

    private NpgsqlConnection Open()
    {
        if (cs is null) throw new InvalidOperationException("no database to connect to.");
        var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(cs.ConnectionString) { Pooling = false }.ConnectionString);
        try
        {
            conn.Open();
        }
        catch (NpgsqlException e)
        {
            conn.Dispose();
            throw new ParleyException($"cannot connect to postgres://{cs.Host}:{cs.Port}/{cs.Database}: {e.Message}", e);
        }
        return conn;
    }

    public override void Lock(Action<string> waiting)
    {
        _lock = Open();
        var watch = Stopwatch.StartNew();
        TimeSpan? lastSaid = null;
        while (!Query(_lock, "SELECT pg_try_advisory_lock(@k)", r => r.GetBoolean(0), ("@k", LockKey))[0])
        {
            if (watch.Elapsed > lockTimeout)
            {
                var holder = Holder();
                Dispose();
                throw new ParleyException($"timed out after {lockTimeout.TotalSeconds:0} s waiting for the migration lock on postgres://{cs!.Host}/{cs.Database}, held by {holder}.");
            }
            if (lastSaid is null || watch.Elapsed - lastSaid >= TimeSpan.FromSeconds(5))
            {
                waiting($"waiting for the migration lock on postgres://{cs!.Host}/{cs.Database}, held by {Holder()}");
                lastSaid = watch.Elapsed;
            }
            Thread.Sleep(100);
        }
        _work = Open();
        Exec("BEGIN");
    }

    private string Holder() => Query(_lock!,
            "SELECT a.application_name, coalesce(a.client_addr::text, 'local'), a.pid, a.backend_start FROM pg_locks l " +
            "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND l.classid = @hi AND l.objid = @lo",
            r => $"{r.GetString(0)} (server pid {r.GetInt32(2)}, from {r.GetString(1)}) since {RowReaders.TimeAt(r, 3):yyyy-MM-ddTHH:mm:ssZ}",
            ("@hi", (long)(LockKey >> 32)), ("@lo", LockKey & 0xFFFFFFFF))
        .FirstOrDefault() ?? "another session (it has just let go)";

    public override void Unlock(bool commit)
    {
        try
        {
            if (_work is not null) Exec(commit ? "COMMIT" : "ROLLBACK");
            if (_lock is not null) Query(_lock, "SELECT pg_advisory_unlock(@k)", r => r.GetBoolean(0), ("@k", LockKey));
        }
        finally
        {
            Dispose();
        }
    }

    public override IReadOnlyList<SchemaStep> Compile(MigrationOp op, SchemaState before, SchemaState after) => PostgresDialect.Compile(op, after);

    public override string TypeName(ColumnDef column) => PostgresDialect.TypeOf(column);
    public override string? DefaultSql(ColumnDef column) => PostgresDialect.DefaultSql(column);

    public override LiveSchema Introspect()
    {
        var columns = Query(
            "SELECT table_name, column_name, data_type, character_maximum_length, datetime_precision, is_nullable, column_default, is_identity " +
            "FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position",
            r => (Table: r.GetString(0), Column: new LiveColumn(r.GetString(1), TypeName(r.GetString(2), r.IsDBNull(3) ? null : r.GetInt32(3), r.IsDBNull(4) ? null : r.GetInt32(4)),
                r.GetString(5) == "NO", r.GetString(7) == "YES" || r.IsDBNull(6) ? null : StripCasts(r.GetString(6)))));
        var fks = Query(
            "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text, c.confdeltype::text, " +
            "ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o), " +
            "ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.o) " +
            "FROM pg_constraint c JOIN pg_namespace s ON s.oid = c.connamespace WHERE c.contype = 'f' AND s.nspname = current_schema()",
            r => (Table: r.GetString(0), Fk: new LiveForeignKey((string[])r.GetValue(3), r.GetString(1), (string[])r.GetValue(4), r.GetString(2) == "c")));
        var tables = columns.GroupBy(c => c.Table).ToDictionary(g => g.Key,
            g => new LiveTable(g.Key, [.. g.Select(c => c.Column)], [.. fks.Where(f => f.Table == g.Key).Select(f => f.Fk)]), StringComparer.Ordinal);
        var indexes = Query(
            "SELECT i.relname::text, t.relname::text, x.indisunique, pg_get_expr(x.indpred, x.indrelid), " +
            "ARRAY(SELECT a.attname::text FROM unnest(x.indkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.n ORDER BY k.o) " +
            "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace s ON s.oid = t.relnamespace " +
            "WHERE s.nspname = current_schema() AND NOT x.indisprimary",
            r => new LiveIndex(r.GetString(0), r.GetString(1), (string[])r.GetValue(4), r.GetBoolean(2), r.IsDBNull(3) ? null : r.GetString(3)));
        var triggers = Query(
            "SELECT g.tgname::text, t.relname::text FROM pg_trigger g JOIN pg_class t ON t.oid = g.tgrelid JOIN pg_namespace s ON s.oid = t.relnamespace " +
            "WHERE NOT g.tgisinternal AND s.nspname = current_schema()",
            r => new LiveTrigger(r.GetString(0), r.GetString(1)));
        return new LiveSchema(tables, indexes, triggers);
    }

    /// <summary>The spelling <see cref="PostgresDialect.TypeOf"/> uses for what <c>information_schema</c> reports.</summary>
    private static string TypeName(string dataType, int? length, int? precision) => dataType switch
    {
        "character varying" => length is { } n ? $"varchar({n.ToString(CultureInfo.InvariantCulture)})" : "varchar",
        "timestamp with time zone" => $"timestamptz({(precision ?? 6).ToString(CultureInfo.InvariantCulture)})",
        "timestamp without time zone" => $"timestamp({(precision ?? 6).ToString(CultureInfo.InvariantCulture)})",
        _ => dataType,
    };

    /// <summary><c>'chat'::character varying</c> → <c>'chat'</c>: PostgreSQL reports defaults with their casts.</summary>
    private static string StripCasts(string sql) => CastSuffix().Replace(sql, "");

    [GeneratedRegex(@"::[a-z ]+(\(\d+\))?(\[\])?$")]
    private static partial Regex CastSuffix();

    public override void Dispose()
    {
        _work?.Dispose();
        _lock?.Dispose();
        _work = _lock = null;
    }
}
