using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Parley.Internal.Schema;

namespace Parley.Internal.Sqlite;

/// <summary>Schema management on SQLite. The migration lock is one write transaction (<c>BEGIN IMMEDIATE</c>) held
/// for the whole run and taken before the history is read: SQLite rolls it back if the holder dies, so a crash
/// leaves no lock. Foreign keys are switched off before it begins (they cannot change inside a transaction), as
/// the table rebuild requires, and <c>foreign_key_check</c> runs before every rebuild commits. While it holds the
/// lock, the holder writes who it is beside the database, so a waiting process can say.</summary>
internal sealed class SqliteSchemaEngine(string? path, TimeSpan lockTimeout) : ISchemaEngine
{
    private SqliteConnection? _conn;

    public string Engine => "sqlite";

    private string HolderFile => path + ".migration-lock";

    private SqliteConnection Conn => _conn ?? throw new InvalidOperationException("the migration lock is not held.");

    /// <summary>A read-only connection in one read transaction: a snapshot beside the writer, which it never blocks.</summary>
    public void Connect()
    {
        if (path is null) throw new InvalidOperationException("no database to read.");
        _conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        _conn.Open();
        Exec("BEGIN DEFERRED");
    }

    public bool HistoryExists() =>
        Query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $t", r => 1, ("$t", ParleySchema.HistoryTable)).Count > 0;

    public void Lock(Action<string> waiting)
    {
        if (path is null) throw new InvalidOperationException("no database to lock.");
        PrivateFile.Ensure(path);
        _conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
        _conn.Open();
        Exec("PRAGMA journal_mode = WAL");
        Exec("PRAGMA foreign_keys = OFF");
        Exec("PRAGMA busy_timeout = 250");
        var watch = Stopwatch.StartNew();
        TimeSpan? lastSaid = null;
        // BEGIN IMMEDIATE through SQLitePCLRaw: Microsoft.Data.Sqlite would retry a busy statement silently for its
        // whole command timeout, and the waiting process could not say whom it waits for.
        int rc;
        while ((rc = SQLitePCL.raw.sqlite3_exec(_conn.Handle, "BEGIN IMMEDIATE")) is SQLitePCL.raw.SQLITE_BUSY or SQLitePCL.raw.SQLITE_LOCKED)
        {
            if (watch.Elapsed > lockTimeout)
            {
                var holder = Holder();
                Dispose();
                throw new ParleyException($"timed out after {lockTimeout.TotalSeconds:0} s waiting for the migration lock on sqlite:{path}, held by {holder}.");
            }
            if (lastSaid is null || watch.Elapsed - lastSaid >= TimeSpan.FromSeconds(5))
            {
                waiting($"waiting for the migration lock on sqlite:{path}, held by {Holder()}");
                lastSaid = watch.Elapsed;
            }
        }
        if (rc != SQLitePCL.raw.SQLITE_OK)
            throw new SqliteException($"SQLite Error {rc}: '{SQLitePCL.raw.sqlite3_errmsg(_conn.Handle).utf8_to_string()}'.", rc);
        // Who holds the lock (pid, user, host) is for the operator of this database only, like the database itself.
        using var holderFile = new FileStream(HolderFile, PrivateFile.Options(FileMode.Create, FileAccess.Write, FileShare.ReadWrite));
        JsonSerializer.Serialize(holderFile, new
        {
            pid = Environment.ProcessId,
            host = Environment.MachineName,
            user = Environment.UserName,
            since = Timestamps.ToText(DateTimeOffset.UtcNow),
        });
    }

    private string Holder()
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(HolderFile));
            var r = doc.RootElement;
            return $"pid {r.GetProperty("pid")} on {r.GetProperty("host").GetString()} (user {r.GetProperty("user").GetString()}) since {r.GetProperty("since").GetString()}";
        }
        catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException or UnauthorizedAccessException)
        {
            return "another connection writing to the database (not a migration)";
        }
    }

    public void Unlock(bool commit)
    {
        if (_conn is null) return;
        try
        {
            if (SQLitePCL.raw.sqlite3_get_autocommit(_conn.Handle) == 0) Exec(commit ? "COMMIT" : "ROLLBACK");
        }
        finally
        {
            try { File.Delete(HolderFile); } catch (IOException) { }
            Dispose();
        }
    }

    public void EnsureHistory() => Exec($"""
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

    public IReadOnlyList<HistoryRow> ReadHistory() => Query(
        $"SELECT version, name, checksum, applied_at, execution_ms, applied_by, state FROM {ParleySchema.HistoryTable} ORDER BY version",
        r => new HistoryRow(r.GetInt32(0), r.GetString(1), r.GetString(2), Timestamps.Parse(r.GetString(3)), r.GetInt64(4), r.GetString(5), r.GetString(6)));

    public void WriteHistory(HistoryRow row) => Exec(
        $"INSERT OR REPLACE INTO {ParleySchema.HistoryTable} (version, name, checksum, applied_at, execution_ms, applied_by, state) VALUES ($v, $n, $c, $at, $ms, $by, $s)",
        ("$v", row.Version), ("$n", row.Name), ("$c", row.Checksum), ("$at", Timestamps.ToText(row.AppliedAt)), ("$ms", row.ExecutionMs),
        ("$by", row.AppliedBy), ("$s", row.State));

    public void DeleteHistory(int version) => Exec($"DELETE FROM {ParleySchema.HistoryTable} WHERE version = $v", ("$v", version));

    public IReadOnlyList<SchemaStep> Compile(MigrationOp op, SchemaState before, SchemaState after) => SqliteDialect.Compile(op, before, after);

    public IEnumerable<string> Render(SchemaStep step) => step switch
    {
        SqlStep s => [s.Sql],
        RebuildStep r => SqliteDialect.RebuildSql(r),
        DataStepRun d => [$"-- data step: {d.Step.Name} (C#)"],
        _ => throw new NotSupportedException(step.GetType().Name),
    };

    public void Execute(SchemaStep step)
    {
        switch (step)
        {
            case SqlStep s: Exec(s.Sql); break;
            case RebuildStep r: Rebuild(r); break;
            case DataStepRun d: d.Step.Run(new MigrationContext(Conn, Engine, SqliteFlavor.Instance)); break;
            default: throw new NotSupportedException(step.GetType().Name);
        }
    }

    /// <summary>Steps 3–10 of https://www.sqlite.org/lang_altertable.html#otheralter, inside the lock's transaction
    /// with foreign keys already off.</summary>
    private void Rebuild(RebuildStep step)
    {
        var table = step.Table.Name;
        var declared = step.After.IndexesOf(table).Select(i => i.Name).Concat(step.After.TriggersOf(table).Select(t => t.Name)).ToHashSet(StringComparer.Ordinal);
        // Every index and trigger of the table and every view, Parley's or not, with the SQL that made it.
        var saved = Query("SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL AND ((type IN ('index', 'trigger') AND tbl_name = $t) OR type = 'view')",
            r => (Type: r.GetString(0), Name: r.GetString(1), Sql: r.GetString(2)), ("$t", table));
        foreach (var view in saved.Where(s => s.Type == "view")) Exec($"DROP VIEW \"{view.Name}\"");

        var live = Query("SELECT name FROM pragma_table_info($t)", r => r.GetString(0), ("$t", table)).ToHashSet(StringComparer.Ordinal);
        var copied = step.CopiedColumns.Where(live.Contains).ToList();
        var sql = SqliteDialect.RebuildSql(step with { CopiedColumns = copied }).ToList();
        foreach (var statement in sql.Where(s => !s.StartsWith("PRAGMA", StringComparison.Ordinal))) Exec(statement);
        foreach (var (type, name, text) in saved.Where(s => s.Type != "view" && !declared.Contains(s.Name)))
        {
            try
            {
                Exec(text);
            }
            catch (SqliteException e)
            {
                throw new ParleyException($"rebuilding {table}: the {type} {name}, which Parley did not create, cannot be recreated ({e.Message}); drop or change it first, then migrate again.", e);
            }
        }
        foreach (var (_, name, text) in saved.Where(s => s.Type == "view"))
        {
            try
            {
                Exec(text);
            }
            catch (SqliteException e)
            {
                throw new ParleyException($"rebuilding {table}: the view {name} cannot be recreated ({e.Message}); drop or change it first, then migrate again.", e);
            }
        }
        var violations = Query("SELECT \"table\", rowid, parent FROM pragma_foreign_key_check", r => $"{r.GetString(0)} row {(r.IsDBNull(1) ? "?" : r.GetInt64(1).ToString(CultureInfo.InvariantCulture))} -> {r.GetString(2)}");
        if (violations.Count > 0)
            throw new ParleyException($"rebuilding {table} would break {violations.Count} foreign key(s), e.g. {string.Join("; ", violations.Take(3))}; nothing was changed.");
    }

    public LiveSchema Introspect()
    {
        var tables = new Dictionary<string, LiveTable>(StringComparer.Ordinal);
        foreach (var name in Query("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'", r => r.GetString(0)))
        {
            var columns = Query("SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info($t) ORDER BY cid",
                // INTEGER PRIMARY KEY is the rowid: never NULL, though SQLite reports notnull 0.
                r => new LiveColumn(r.GetString(0), r.GetString(1), r.GetInt64(2) != 0 || (r.GetInt64(4) > 0 && r.GetString(1) == "INTEGER"),
                    r.IsDBNull(3) ? null : r.GetString(3)),
                ("$t", name));
            var fks = Query("SELECT id, \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list($t) ORDER BY id, seq",
                    r => (Id: r.GetInt64(0), Table: r.GetString(1), From: r.GetString(2), To: r.IsDBNull(3) ? "" : r.GetString(3), OnDelete: r.GetString(4)), ("$t", name))
                .GroupBy(f => f.Id)
                .Select(g => new LiveForeignKey([.. g.Select(f => f.From)], g.First().Table, [.. g.Select(f => f.To)], g.First().OnDelete == "CASCADE"))
                .ToList();
            tables[name] = new LiveTable(name, columns, fks);
        }
        var indexes = Query("SELECT name, tbl_name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL",
                r => (Name: r.GetString(0), Table: r.GetString(1), Sql: r.GetString(2)))
            .Select(i => new LiveIndex(i.Name, i.Table,
                Query("SELECT name FROM pragma_index_info($i) ORDER BY seqno", r => r.GetString(0), ("$i", i.Name)),
                i.Sql.TrimStart().StartsWith("CREATE UNIQUE", StringComparison.OrdinalIgnoreCase),
                WhereOf(i.Sql)))
            .ToList();
        var triggers = Query("SELECT name, tbl_name FROM sqlite_schema WHERE type = 'trigger'", r => new LiveTrigger(r.GetString(0), r.GetString(1)));
        return new LiveSchema(tables, indexes, triggers);
    }

    private static string? WhereOf(string sql)
    {
        var at = sql.LastIndexOf(" WHERE ", StringComparison.OrdinalIgnoreCase);
        return at < 0 ? null : sql[(at + 7)..].Trim();
    }

    public string TypeName(ColumnDef column) => SqliteDialect.TypeOf(column.Type);
    public string? DefaultSql(ColumnDef column) => SqliteDialect.DefaultSql(column);

    public void RecordSystemEvent(SystemEventLevel level, string name, string detailJson)
    {
        // At version 0 (before the first migration, or after rolling back to it) the table does not exist.
        if (Query("SELECT count(*) FROM sqlite_schema WHERE name = 'parley_system_events'", r => r.GetInt64(0))[0] == 0) return;
        Exec("INSERT INTO parley_system_events (level, source, event, detail, at) VALUES ($l, 'schema', $e, $d, $at)",
            ("$l", WireNames.Of(level)), ("$e", name), ("$d", detailJson), ("$at", Timestamps.ToText(DateTimeOffset.UtcNow)));
    }

    private void Exec(string sql, params (string Name, object? Value)[] args)
    {
        using var cmd = Conn.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        cmd.ExecuteNonQuery();
    }

    private List<T> Query<T>(string sql, Func<SqliteDataReader, T> read, params (string Name, object? Value)[] args)
    {
        using var cmd = Conn.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        using var r = cmd.ExecuteReader();
        var list = new List<T>();
        while (r.Read()) list.Add(read(r));
        return list;
    }

    public void Dispose()
    {
        _conn?.Dispose();
        _conn = null;
    }
}
