using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Parley.Internal.Kernel;
using Parley.Internal.Schema;

namespace Parley.Internal.Sqlite;

/// <summary>Opens a SQLite database for a ledger: the writer's connection (WAL, the configured synchronous mode,
/// foreign keys on, a busy timeout) with the schema startup mode applied, pooled read-only connections, and the
/// background checkpointer.</summary>
internal sealed class SqliteEngine : LedgerEngine
{
    public static SqliteEngine Instance { get; } = new();

    public override ISchemaEngine Schema(DatabaseUrl url, TimeSpan lockTimeout, bool needsDatabase = true)
    {
        if (needsDatabase) SqliteFiles.Check(url.Target, mustExist: false);
        return new SqliteSchemaEngine(needsDatabase ? Path.GetFullPath(url.Target) : null, lockTimeout);
    }

    public override void RequireExisting(DatabaseUrl url) => SqliteFiles.Check(url.Target, mustExist: true);

    public override SqlFlavor Flavor => SqliteFlavor.Instance;

    public override SqliteConnection Connect(DatabaseUrl url)
    {
        SqliteFiles.Check(url.Target, mustExist: true);
        var full = Path.GetFullPath(url.Target);
        var conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = full, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
        conn.Open();
        return conn;
    }

    public override string? DatabaseFile(DatabaseUrl url) => Path.GetFullPath(url.Target);

    public override bool NativeBackupPossible => true;

    /// <summary>SQLite's online backup API, from a read transaction: one consistent copy while the writer goes on.
    /// The target file exists already (empty, owner-only), so SQLite keeps its mode.</summary>
    public override void NativeBackup(DatabaseUrl url, string path)
    {
        using var source = Connect(url);
        using var target = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
        source.BackupDatabase(target);
    }

    public override string DefaultSpoolPath(DatabaseUrl url) => url.Target + ".spool";

    /// <summary><c>PRAGMA integrity_check</c> and <c>foreign_key_check</c>; a file SQLite cannot even check (a damaged
    /// header or schema page) is unreadable.</summary>
    public override IntegrityReport CheckIntegrity(DbConnection conn)
    {
        var problems = new List<string>();
        try
        {
            using (var cmd = conn.CreateCommand())
            {
                cmd.CommandText = "PRAGMA integrity_check";
                using var r = cmd.ExecuteReader();
                while (r.Read()) if (r.GetString(0) != "ok") problems.Add(r.GetString(0));
            }
            using (var cmd = conn.CreateCommand())
            {
                cmd.CommandText = "PRAGMA foreign_key_check";
                using var r = cmd.ExecuteReader();
                while (r.Read()) problems.Add($"{r.GetString(0)} row {r.GetValue(1)} has no {r.GetString(2)}");
            }
        }
        catch (SqliteException e)
        {
            return new([e.Message], Unreadable: true);
        }
        return new(problems, Unreadable: false);
    }

    /// <summary>A SQLite file (by its header) is a SQLite backup: checked whole (<see cref="CheckBackup"/>), it must
    /// hold a Parley schema.</summary>
    public override NativeBackupFile? OpenNativeBackup(string file)
    {
        if (!SqliteFiles.HasHeader(file)) return null;
        CheckBackup(file);
        var url = DatabaseUrl.Parse("sqlite:" + file);
        var version = SchemaVersion(url);
        if (version < 1) throw new ArgumentException($"{file}: a SQLite database without a Parley schema, not a Parley backup.", "file");
        return new NativeBackupFile(Connect(url), SqliteFlavor.Instance, version);
    }

    /// <summary>Refuses a SQLite backup file SQLite finds damaged (<c>PRAGMA integrity_check</c>), before a restore
    /// reads a row of it.</summary>
    private static void CheckBackup(string file)
    {
        List<string> problems = [];
        try
        {
            using var conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.GetFullPath(file), Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            conn.Open();
            using var cmd = conn.CreateCommand();
            cmd.CommandText = "PRAGMA integrity_check";
            using var r = cmd.ExecuteReader();
            // One row may hold several problems, a line each.
            while (r.Read()) if (r.GetString(0) != "ok") problems.AddRange(r.GetString(0).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        catch (SqliteException e)
        {
            problems.Add(e.Message);
        }
        if (problems.Count > 0)
            throw new ArgumentException($"{file}: the SQLite backup is damaged ({problems[0]}{(problems.Count > 1 ? $", and {problems.Count - 1} more" : "")}); nothing was restored.", "file");
    }

    public override Action? UndoIfCreated(DatabaseUrl url)
    {
        var full = Path.GetFullPath(url.Target);
        if (File.Exists(full)) return null;
        return () =>
        {
            SqliteConnection.ClearAllPools();
            foreach (var f in (string[])[full, full + "-wal", full + "-shm", full + "-journal"]) File.Delete(f);
        };
    }

    public override IEnumerable<string> MaintenanceSql => ["ANALYZE", "PRAGMA optimize"];

    public override OpenedDatabase Open(DatabaseUrl url, LedgerOptions options, ILogger log)
    {
        var path = url.Target;
        SqliteFiles.Check(path, mustExist: false);
        var full = Path.GetFullPath(path);
        PrivateFile.Ensure(full);

        var writeCs = new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds),
        }.ToString();
        var conn = new SqliteConnection(writeCs);
        try
        {
            conn.Open();
            // SQLite opens a file it may not write read-only, without a word; every write would then fail (and spool)
            // while the server looked healthy. Refuse instead, naming what cannot be written.
            if (SQLitePCL.raw.sqlite3_db_readonly(conn.Handle, "main") == 1)
                throw new ParleyException($"cannot open sqlite:{path} for writing: {Unwritable(full)}");
            Pragma(conn, "journal_mode = WAL");
            Pragma(conn, $"synchronous = {(options.Synchronous == SqliteSynchronous.Full ? "FULL" : "NORMAL")}");
            Pragma(conn, "foreign_keys = ON");
            // A 64 MiB page cache for the writer: inserts scatter into several indexes (recipients arrive in no
            // order), and pages that stay cached are not read back for every commit.
            Pragma(conn, "cache_size = -65536");
            // Checkpoints run on SqliteCheckpointer's connection, not inside the writer's commits.
            Pragma(conn, "wal_autocheckpoint = 0");
            // When a checkpoint has let the writer start the WAL over, the file is cut back to this size, so its
            // high-water mark under a burst does not stay on disk.
            Pragma(conn, "journal_size_limit = 67108864");
            Pragma(conn, $"busy_timeout = {((long)options.BusyTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)}");
            var version = ApplyStartupMode(url, options);
            var readCs = new SqliteConnectionStringBuilder { DataSource = full, Mode = SqliteOpenMode.ReadOnly, Pooling = true }.ToString();
            var reader = new ReadDatabase(async ct =>
            {
                var read = new SqliteConnection(readCs);
                await read.OpenAsync(ct);
                return read;
            }, SqliteFlavor.Instance, () =>
            {
                using var pooled = new SqliteConnection(readCs);
                SqliteConnection.ClearPool(pooled);
            });
            var checkpointer = new SqliteCheckpointer(full, log, options.TimeProvider);
            return new OpenedDatabase(new SqliteWriteStore(conn, checkpointer, options.BusyTimeout, new SqliteWalGuard(full)), reader, version, checkpointer);
        }
        catch (SqliteException e)
        {
            conn.Dispose();
            var refused = SqliteFileAccess.NotWritable(full);
            throw new ParleyException($"cannot open sqlite:{path}: {e.Message}{(refused.Count == 0 ? "" : "; " + Unwritable(full))}", e);
        }
        catch
        {
            conn.Dispose();
            throw;
        }
    }

    private static string Unwritable(string full)
    {
        var refused = SqliteFileAccess.NotWritable(full);
        return refused.Count == 0
            ? "the file is read-only for this process."
            : $"this process may not write {string.Join(", ", refused)}. Parley writes the database and creates its -wal and -shm files beside it; give the user it runs as write access (e.g. chmod u+w, or chown).";
    }

    private static void Pragma(SqliteConnection conn, string pragma)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "PRAGMA " + pragma;
        cmd.ExecuteNonQuery();
    }
}
