using System.Data.Common;
using System.Reflection;
using Microsoft.Extensions.Logging;
using Parley.Internal.Data;
using Parley.Internal.Schema;
using Parley.Internal.Writing;

namespace Parley.Internal.Engines;

/// <summary>A database opened for a ledger: the writer's store, the pooled readers, and whatever the engine runs in
/// the background (SQLite's checkpointer), disposed with the ledger.</summary>
internal sealed record OpenedDatabase(WriteStore Writer, AdoReadStore Reader, int SchemaVersion, IAsyncDisposable? Background = null);

/// <summary>One database engine: how a ledger opens it and how its schema is managed. SQLite is built in; the server
/// engines live in their own assemblies (<c>Parley.PostgreSql</c>, <c>Parley.MySql</c>) so that an embedded user
/// never loads Npgsql or MySqlConnector. <see cref="For"/> is the one switch on the engine kind.</summary>
internal abstract class LedgerEngine
{
    /// <summary>Opens the database for a ledger and applies the schema startup mode.</summary>
    public abstract OpenedDatabase Open(DatabaseUrl url, LedgerOptions options, ILogger log);

    /// <summary>The schema engine for this database; <paramref name="needsDatabase"/> false for commands that only
    /// render SQL.</summary>
    public abstract ISchemaEngine Schema(DatabaseUrl url, TimeSpan lockTimeout, bool needsDatabase = true);

    /// <summary>A plain connection to the database, open (for <c>parley db check</c> and other maintenance).</summary>
    public abstract System.Data.Common.DbConnection Connect(DatabaseUrl url);

    /// <summary>For commands that only read: fails, creating nothing, when the database does not exist (a SQLite
    /// file; a server database always exists once its URL connects).</summary>
    public virtual void RequireExisting(DatabaseUrl url)
    {
    }

    /// <summary>The engine's spellings for the shared SQL.</summary>
    public abstract SqlFlavor Flavor { get; }

    /// <summary>Runs the data check (docs/cli.md, "db": <c>db check</c>; and with <paramref name="repair"/>, recomputes
    /// what is derived).</summary>
    public List<CheckFinding> Check(DatabaseUrl url, bool repair)
    {
        using var conn = Connect(url);
        return new DataCheck(conn, Flavor, url.Engine).Run(repair);
    }

    /// <summary>The statements that refresh the planner's statistics and tidy storage (<c>parley maintain</c>).</summary>
    protected abstract IEnumerable<string> MaintenanceSql { get; }

    /// <summary><c>parley maintain</c>: runs <see cref="MaintenanceSql"/> and records a system event; returns what ran.</summary>
    public List<string> Maintain(DatabaseUrl url)
    {
        using var conn = Connect(url);
        var ran = new List<string>();
        foreach (var sql in MaintenanceSql)
        {
            using var cmd = conn.CreateCommand();
            cmd.CommandText = sql;
            cmd.CommandTimeout = 0;
            using (var r = cmd.ExecuteReader()) while (r.Read()) { }
            ran.Add(sql);
        }
        RecordEvent(conn, "maintenance", new System.Text.Json.Nodes.JsonObject { ["ran"] = new System.Text.Json.Nodes.JsonArray([.. ran.Select(s => (System.Text.Json.Nodes.JsonNode)s)]) });
        return ran;
    }

    /// <summary>Whether the engine writes its own backup file (SQLite: the online backup API); otherwise Parley's
    /// NDJSON is used.</summary>
    protected virtual bool NativeBackupPossible => false;

    /// <summary>Writes the engine's own backup into <paramref name="path"/>, an empty file created owner-only.</summary>
    protected virtual void NativeBackup(DatabaseUrl url, string path) => throw new NotSupportedException();

    /// <summary>After rows were restored with their ids: whatever the engine needs so new rows get new ids
    /// (PostgreSQL moves its identity sequences past them).</summary>
    protected virtual void AfterRestore(DbConnection conn)
    {
    }

    private int Version(DatabaseUrl url)
    {
        using var schema = Schema(url, TimeSpan.FromSeconds(60));
        return SchemaEngines.Runner(schema).Status().Version;
    }

    /// <summary>The file that holds the database, when it is one (SQLite), so a backup is never written over it.</summary>
    public virtual string? DatabaseFile(DatabaseUrl url) => null;

    /// <summary><c>parley backup</c>: a consistent copy while writes continue, written beside <paramref name="path"/>
    /// (owner-only, 0600) and renamed into place when complete. <paramref name="ndjson"/> forces Parley's
    /// engine-neutral format. The target is checked first (<see cref="BackupTarget.Check"/>): never the live
    /// database or a database in use, and an existing file only with <paramref name="force"/>.</summary>
    public BackupSummary? Backup(DatabaseUrl url, string path, bool ndjson, bool force = false)
    {
        BackupTarget.Check(path, DatabaseFile(url), force);
        var version = Version(url);
        if (version <= 0) throw new ArgumentException($"{url} holds no Parley schema to back up.", "database");
        var full = Path.GetFullPath(path);
        var temp = $"{full}.{Guid.NewGuid():N}.partial";
        BackupSummary? summary = null;
        try
        {
            using (var file = PrivateFile.Create(temp))
            {
                if (ndjson || !NativeBackupPossible)
                {
                    using var conn = Connect(url);
                    summary = Data.Backup.Write(file, version, Data.Backup.Read(conn, Flavor, version));
                    file.Flush(flushToDisk: true);
                }
            }
            if (summary is null) NativeBackup(url, temp);
            // Checked again just before the rename: the target may have come into use while the copy ran.
            BackupTarget.Check(path, DatabaseFile(url), force);
            File.Move(temp, full, overwrite: force);
        }
        catch (IOException) when (!force && File.Exists(full))
        {
            throw new ArgumentException($"{path} already exists; pass --force to replace it.", "out");
        }
        finally
        {
            File.Delete(temp);
        }
        using (var conn = Connect(url))
            RecordEvent(conn, "backup", new System.Text.Json.Nodes.JsonObject { ["file"] = full, ["format"] = summary is null ? url.Engine : Data.Backup.Format, ["bytes"] = new FileInfo(full).Length });
        return summary;
    }

    /// <summary><c>parley restore</c>: a backup (NDJSON, or a SQLite backup file) into an empty database of this
    /// engine, ids kept, all or nothing. The backup is checked whole first (NDJSON: every row against the counts and
    /// checksums of its closing line; SQLite: the header and <c>PRAGMA integrity_check</c>), so a damaged one is
    /// refused before the database is touched; the rows go in in one transaction, which commits only once every
    /// table reads back with the backup's count and checksum. Then the data check runs and the schema is migrated
    /// to this Parley's head. A SQLite database the restore created is removed again when it fails.</summary>
    public (BackupSummary Restored, List<CheckFinding> Findings) Restore(DatabaseUrl url, string file)
    {
        if (!File.Exists(file)) throw new ArgumentException($"{file} does not exist.", "file");
        var sqlite = Sqlite.SqliteFiles.HasHeader(file);
        int version;
        if (sqlite)
        {
            Sqlite.SqliteEngine.CheckBackup(file);
            version = Sqlite.SqliteEngine.Instance.Version(DatabaseUrl.Parse("sqlite:" + file));
            if (version < 1) throw new ArgumentException($"{file}: a SQLite database without a Parley schema, not a Parley backup.", "file");
        }
        else
        {
            using var reader = new StreamReader(file, System.Text.Encoding.UTF8);
            version = Data.Backup.Verify(reader, file);
        }
        if (version > ParleySchema.Head)
            throw new ParleyException($"the backup is at schema version {version}, newer than this Parley ({ParleySchema.Head}); restore it with a newer Parley.");
        var undo = UndoIfCreated(url);
        try
        {
            return RestoreChecked(url, file, sqlite, version);
        }
        catch
        {
            undo?.Invoke();
            throw;
        }
    }

    /// <summary>When the restore is about to create the database (a SQLite file that does not exist yet): what
    /// removes it again if the restore fails.</summary>
    protected virtual Action? UndoIfCreated(DatabaseUrl url) => null;

    private (BackupSummary Restored, List<CheckFinding> Findings) RestoreChecked(DatabaseUrl url, string file, bool sqlite, int version)
    {
        IEnumerable<(string, object?[])> rows;
        DbConnection? source = null;
        TextReader? reader = null;
        try
        {
            if (sqlite)
            {
                source = Sqlite.SqliteEngine.Instance.Connect(DatabaseUrl.Parse("sqlite:" + file));
                rows = Data.Backup.Read(source, Sqlite.SqliteFlavor.Instance, version);
            }
            else
            {
                reader = new StreamReader(file, System.Text.Encoding.UTF8);
                (_, rows, _) = Data.Backup.Open(reader, file);
            }

            using (var schema = Schema(url, TimeSpan.FromSeconds(60)))
            {
                var runner = SchemaEngines.Runner(schema);
                var current = runner.Status().Version;
                if (current > version)
                    throw new ArgumentException($"{url} is at schema version {current}, above the backup's {version}; restore into an empty database.", "database");
                // Empty before anything changes: no rows, but for the schema's own events of migrating this database,
                // which the backup's events replace (the schema history keeps its own record).
                using (var check = Connect(url)) RequireEmpty(check, url, SchemaState.At(ParleySchema.Migrations, current));
                runner.Migrate(version);
            }
            using var conn = Connect(url);
            RequireEmpty(conn, url, SchemaState.At(ParleySchema.Migrations, version));
            using (var clear = conn.CreateCommand())
            {
                clear.CommandText = "DELETE FROM parley_system_events WHERE source = 'schema'";
                clear.ExecuteNonQuery();
            }
            var restored = Data.Backup.Insert(conn, Flavor, version, rows, inserted =>
            {
                AfterRestore(conn);
                var reread = Data.Backup.Sum(conn, Flavor, version, inTransaction: true);
                var wrong = inserted.Tables.Where(t => !reread.Tables.TryGetValue(t.Key, out var got) || got != t.Value).Select(t => t.Key).ToList();
                if (wrong.Count > 0)
                    throw new ParleyException($"the restored rows do not read back with the backup's checksums in {string.Join(", ", wrong)}; nothing was restored.");
            });
            using (var schema = Schema(url, TimeSpan.FromSeconds(60))) SchemaEngines.Runner(schema).Migrate();
            var findings = new DataCheck(conn, Flavor, url.Engine).Run(repair: false);
            RecordEvent(conn, "restore", new System.Text.Json.Nodes.JsonObject
            {
                ["file"] = Path.GetFullPath(file), ["schema_version"] = version, ["rows"] = restored.Tables.Values.Sum(t => t.Rows), ["problems"] = findings.Count,
            });
            return (restored, findings);
        }
        finally
        {
            reader?.Dispose();
            source?.Dispose();
        }
    }

    private static void RequireEmpty(DbConnection conn, DatabaseUrl url, SchemaState state)
    {
        foreach (var table in Data.Backup.Tables.Where(state.HasTable))
        {
            using var cmd = conn.CreateCommand();
            cmd.CommandText = table == "parley_system_events" ? $"SELECT 1 FROM {table} WHERE source <> 'schema' LIMIT 1" : $"SELECT 1 FROM {table} LIMIT 1";
            if (cmd.ExecuteScalar() is not null)
                throw new ArgumentException($"{url} already holds rows in {table}; restore only into an empty database.", "database");
        }
    }

    private void RecordEvent(DbConnection conn, string name, System.Text.Json.Nodes.JsonObject detail)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "INSERT INTO parley_system_events (level, source, event, detail, at) VALUES (@p0, @p1, @p2, @p3, @p4)";
        Flavor.AddPositional(cmd.Parameters, cmd.CreateParameter, ["info", "maintenance", name, new JsonText(detail.ToJsonString()), Timestamps.Now(TimeProvider.System)]);
        cmd.ExecuteNonQuery();
    }

    public static LedgerEngine For(DatabaseUrl url) => url.Engine switch
    {
        "sqlite" => Sqlite.SqliteEngine.Instance,
        "postgres" => Load("Parley.PostgreSql", "Parley.PostgreSql.PostgresEngine", url),
        "mysql" => Load("Parley.MySql", "Parley.MySql.MySqlEngine", url),
        _ => throw new ArgumentException($"{url.Engine} databases are not supported.", "database"),
    };

    private static LedgerEngine Load(string assembly, string type, DatabaseUrl url)
    {
        Assembly loaded;
        try
        {
            loaded = Assembly.Load(assembly);
        }
        catch (FileNotFoundException)
        {
            throw new ArgumentException($"{url.Engine} databases need the {assembly} package beside Parley; add a reference to it.", "database");
        }
        return (LedgerEngine)Activator.CreateInstance(loaded.GetType(type, throwOnError: true)!)!;
    }

    /// <summary>The schema startup mode (docs/cli.md, "serve": <c>--schema</c>): migrate under the lock then verify,
    /// verify only, or nothing. A drifted or unmigrated database is refused (fail closed) with the differences and the
    /// command that mends them.</summary>
    protected int ApplyStartupMode(DatabaseUrl url, LedgerOptions options)
    {
        if (options.Schema == SchemaStartupMode.Off) return -1;
        using var engine = Schema(url, options.MigrationLockTimeout);
        var runner = new SchemaRunner(engine, ParleySchema.Migrations, options.TimeProvider);
        int version;
        if (options.Schema == SchemaStartupMode.Migrate)
        {
            version = runner.Migrate().To;
        }
        else
        {
            var status = runner.Status();
            if (status.Pending.Count > 0)
                throw new ParleyException($"{url} is at schema version {status.Version} and this Parley needs version {status.Head}; run `parley db migrate`.");
            version = status.Version;
        }
        var drift = runner.Verify();
        if (drift.Count > 0)
            throw new ParleyException($"schema drift in {url} (version {version}); refusing to start:\n  {string.Join("\n  ", drift)}\n" +
                                      "Run `parley db repair` to re-create what is missing; `parley db verify` lists the differences again.");
        return version;
    }
}
