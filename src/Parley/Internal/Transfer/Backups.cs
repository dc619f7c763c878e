using System.Data.Common;
using Parley.Internal.Check;
using Parley.Internal.Kernel;
using Parley.Internal.Schema;
using Parley.Internal.SystemEvents;

namespace Parley.Internal.Transfer;

/// <summary><c>parley backup</c> and <c>restore</c> (docs/cli.md, "backup, restore"), the same flow on every engine:
/// an engine adds only its own backup file (<see cref="LedgerEngine.NativeBackup"/>,
/// <see cref="LedgerEngine.OpenNativeBackup"/>) and what it needs after rows were restored with their ids
/// (<see cref="LedgerEngine.AfterRestore"/>). Parley's own format is <see cref="Backup"/>.</summary>
internal static class Backups
{
    /// <summary>A consistent copy while writes continue, written beside <paramref name="path"/> (owner-only, 0600)
    /// and renamed into place when complete. <paramref name="ndjson"/> forces Parley's engine-neutral format. The
    /// target is checked first (<see cref="BackupTarget.Check"/>): never the live database or a database in use, and
    /// an existing file only with <paramref name="force"/>. Null when the engine wrote its own file.</summary>
    public static BackupSummary? Write(DatabaseUrl url, string path, bool ndjson, bool force = false)
    {
        var engine = LedgerEngine.For(url);
        BackupTarget.Check(path, engine.DatabaseFile(url), force);
        var version = engine.SchemaVersion(url);
        if (version <= 0) throw new ArgumentException($"{url} holds no Parley schema to back up.", "database");
        var full = Path.GetFullPath(path);
        var temp = $"{full}.{Guid.NewGuid():N}.partial";
        BackupSummary? summary = null;
        try
        {
            using (var file = PrivateFile.Create(temp))
            {
                if (ndjson || !engine.NativeBackupPossible)
                {
                    using var conn = engine.Connect(url);
                    summary = Backup.Write(file, version, Backup.Read(conn, engine.Flavor, version));
                    file.Flush(flushToDisk: true);
                }
            }
            if (summary is null) engine.NativeBackup(url, temp);
            // Checked again just before the rename: the target may have come into use while the copy ran.
            BackupTarget.Check(path, engine.DatabaseFile(url), force);
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
        using (var conn = engine.Connect(url))
            SystemEventRows.Maintenance(conn, engine.Flavor, "backup", new System.Text.Json.Nodes.JsonObject { ["file"] = full, ["format"] = summary is null ? url.Engine : Backup.Format, ["bytes"] = new FileInfo(full).Length });
        return summary;
    }

    /// <summary>A backup (NDJSON, or an engine's own backup file) into an empty database, ids kept, all or nothing. The
    /// backup is checked whole first (NDJSON: every row against the counts and checksums of its closing line; an
    /// engine's own file: that engine's check), so a damaged one is refused before the database is touched; the rows
    /// go in in one transaction, which commits only once every table reads back with the backup's count and checksum.
    /// Then the data check runs and the schema is migrated to this Parley's head. A database the restore created is
    /// removed again when it fails.</summary>
    public static (BackupSummary Restored, List<CheckFinding> Findings) Restore(DatabaseUrl url, string file)
    {
        if (!File.Exists(file)) throw new ArgumentException($"{file} does not exist.", "file");
        var engine = LedgerEngine.For(url);
        NativeBackupFile? native = null;
        try
        {
            foreach (var candidate in LedgerEngine.All)
                if ((native = candidate.OpenNativeBackup(file)) is not null) break;
            int version;
            if (native is not null)
            {
                version = native.SchemaVersion;
            }
            else
            {
                using var reader = new StreamReader(file, System.Text.Encoding.UTF8);
                version = Backup.Verify(reader, file);
            }
            if (version > ParleySchema.Head)
                throw new ParleyException($"the backup is at schema version {version}, newer than this Parley ({ParleySchema.Head}); restore it with a newer Parley.");
            var undo = engine.UndoIfCreated(url);
            try
            {
                return RestoreChecked(engine, url, file, native, version);
            }
            catch
            {
                undo?.Invoke();
                throw;
            }
        }
        finally
        {
            native?.Dispose();
        }
    }

    private static (BackupSummary Restored, List<CheckFinding> Findings) RestoreChecked(LedgerEngine engine, DatabaseUrl url, string file, NativeBackupFile? native, int version)
    {
        using var reader = native is null ? new StreamReader(file, System.Text.Encoding.UTF8) : null;
        var rows = native is not null ? Backup.Read(native.Connection, native.Flavor, version) : Backup.Open(reader!, file).Rows;

        using (var schema = engine.Schema(url, TimeSpan.FromSeconds(60)))
        {
            var runner = SchemaEngines.Runner(schema);
            var current = runner.Status().Version;
            if (current > version)
                throw new ArgumentException($"{url} is at schema version {current}, above the backup's {version}; restore into an empty database.", "database");
            // Empty before anything changes: no rows, but for the schema's own events of migrating this database,
            // which the backup's events replace (the schema history keeps its own record).
            using (var check = engine.Connect(url)) RequireEmpty(check, url, SchemaState.At(ParleySchema.Migrations, current));
            runner.Migrate(version);
        }
        using var conn = engine.Connect(url);
        RequireEmpty(conn, url, SchemaState.At(ParleySchema.Migrations, version));
        using (var clear = conn.CreateCommand())
        {
            clear.CommandText = "DELETE FROM parley_system_events WHERE source = 'schema'";
            clear.ExecuteNonQuery();
        }
        var restored = Backup.Insert(conn, engine.Flavor, version, rows, inserted =>
        {
            engine.AfterRestore(conn);
            // The rollups are not in a backup: rebuilt from the restored messages (a backup from before them gets
            // them from the upgrade below).
            if (version >= 5) Analytics.StatsRecount.Rebuild(conn, engine.Flavor);
            var reread = Backup.Sum(conn, engine.Flavor, version, inTransaction: true);
            var wrong = inserted.Tables.Where(t => !reread.Tables.TryGetValue(t.Key, out var got) || got != t.Value).Select(t => t.Key).ToList();
            if (wrong.Count > 0)
                throw new ParleyException($"the restored rows do not read back with the backup's checksums in {string.Join(", ", wrong)}; nothing was restored.");
        });
        using (var schema = engine.Schema(url, TimeSpan.FromSeconds(60))) SchemaEngines.Runner(schema).Migrate();
        var findings = new DataCheck(conn, engine).Run(repair: false);
        SystemEventRows.Maintenance(conn, engine.Flavor, "restore", new System.Text.Json.Nodes.JsonObject
        {
            ["file"] = Path.GetFullPath(file), ["schema_version"] = version, ["rows"] = restored.Tables.Values.Sum(t => t.Rows), ["problems"] = findings.Count,
        });
        return (restored, findings);
    }

    private static void RequireEmpty(DbConnection conn, DatabaseUrl url, SchemaState state)
    {
        foreach (var table in Backup.Tables.Where(state.HasTable))
        {
            using var cmd = conn.CreateCommand();
            cmd.CommandText = table == "parley_system_events" ? $"SELECT 1 FROM {table} WHERE source <> 'schema' LIMIT 1" : $"SELECT 1 FROM {table} LIMIT 1";
            if (cmd.ExecuteScalar() is not null)
                throw new ArgumentException($"{url} already holds rows in {table}; restore only into an empty database.", "database");
        }
    }
}
