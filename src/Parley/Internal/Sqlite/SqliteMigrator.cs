using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Parley.Internal.Schema;

namespace Parley.Internal.Sqlite;

/// <summary>Brings a SQLite database to the code's schema version. The migration lock on SQLite is one write
/// transaction (<c>BEGIN IMMEDIATE</c>) held for the whole run and taken before the history is read: a second
/// process waits for it, and a crashed holder leaves nothing behind because SQLite rolls the transaction back.</summary>
internal static class SqliteMigrator
{
    public static int Run(SqliteConnection conn, SchemaStartupMode mode, TimeProvider clock, IReadOnlyList<Migration> migrations)
    {
        if (mode == SchemaStartupMode.Off) return -1;
        using var tx = conn.BeginTransaction(deferred: false);
        Exec(conn, $"""
            CREATE TABLE IF NOT EXISTS {ParleySchema.HistoryTable} (
                version INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                checksum TEXT NOT NULL,
                applied_at TEXT NOT NULL,
                execution_ms INTEGER NOT NULL,
                applied_by TEXT NOT NULL,
                state TEXT NOT NULL
            )
            """);
        var applied = ReadHistory(conn);
        var head = migrations[^1].Version;
        var current = applied.Count == 0 ? 0 : applied.Keys.Max();
        if (current > head)
            throw new ParleyException($"the database is at schema version {current}, newer than this Parley (version {head}); upgrade Parley rather than opening a newer database with older code.");
        foreach (var m in migrations)
        {
            if (applied.TryGetValue(m.Version, out var checksum) && checksum != m.Checksum)
                throw new ParleyException($"migration {m.Version} '{m.Name}' was edited after it was applied (checksum {checksum[..12]}… in the database, {m.Checksum[..12]}… in the code); restore the original migration and add a new one.");
        }
        var pending = migrations.Where(m => !applied.ContainsKey(m.Version)).ToList();
        if (pending.Count > 0 && mode == SchemaStartupMode.Verify)
            throw new ParleyException($"the database is at schema version {current} and this Parley needs version {head}; run `parley db migrate`.");

        foreach (var m in pending)
        {
            var watch = Stopwatch.StartNew();
            foreach (var op in m.Up)
            foreach (var sql in SqliteDialect.Compile(op))
                Exec(conn, sql);
            var now = Timestamps.ToText(Timestamps.Now(clock));
            Exec(conn, $"INSERT INTO {ParleySchema.HistoryTable} (version, name, checksum, applied_at, execution_ms, applied_by, state) VALUES ($v, $n, $c, $at, $ms, $by, 'applied')",
                ("$v", m.Version), ("$n", m.Name), ("$c", m.Checksum), ("$at", now), ("$ms", watch.ElapsedMilliseconds), ("$by", AppliedBy()));
            Exec(conn, "INSERT INTO parley_system_events (level, source, event, detail, at) VALUES ('info', 'schema', 'migration_applied', $d, $at)",
                ("$d", $$"""{"version":{{m.Version}},"name":"{{m.Name}}","execution_ms":{{watch.ElapsedMilliseconds}}}"""), ("$at", now));
        }
        tx.Commit();
        return head;
    }

    public static string AppliedBy() => $"{Environment.UserName}@{Environment.MachineName} pid {Environment.ProcessId}";

    private static Dictionary<int, string> ReadHistory(SqliteConnection conn)
    {
        var result = new Dictionary<int, string>();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = $"SELECT version, checksum FROM {ParleySchema.HistoryTable} WHERE state = 'applied'";
        using var reader = cmd.ExecuteReader();
        while (reader.Read()) result[reader.GetInt32(0)] = reader.GetString(1);
        return result;
    }

    private static void Exec(SqliteConnection conn, string sql, params (string Name, object Value)[] args)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value);
        cmd.ExecuteNonQuery();
    }
}
