using System.Globalization;
using Microsoft.Data.Sqlite;
using Parley.Internal.Schema;

namespace Parley.Internal.Sqlite;

/// <summary>Opens a SQLite database for a ledger: the writer's connection (WAL, the configured synchronous mode,
/// foreign keys on, a busy timeout) with the schema startup mode applied, and the read connections' string.</summary>
internal static class SqliteEngine
{
    public static (SqliteWriteStore Writer, SqliteReadStore Reader, int Version, string FullPath) Open(string path, LedgerOptions options)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full);
        if (dir is not null && !Directory.Exists(dir))
            throw new ArgumentException($"the directory of sqlite:{path} does not exist ({dir}).", "database");

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
            Pragma(conn, "journal_mode = WAL");
            Pragma(conn, $"synchronous = {(options.Synchronous == SqliteSynchronous.Full ? "FULL" : "NORMAL")}");
            Pragma(conn, "foreign_keys = ON");
            // A 64 MiB page cache for the writer: inserts scatter into several indexes (recipients arrive in no
            // order), and pages that stay cached are not read back for every commit.
            Pragma(conn, "cache_size = -65536");
            // Checkpoints run on SqliteCheckpointer's connection, not inside the writer's commits.
            Pragma(conn, "wal_autocheckpoint = 0");
            Pragma(conn, $"busy_timeout = {((long)options.BusyTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)}");
            var version = ApplyStartupMode(full, options);
            var readCs = new SqliteConnectionStringBuilder { DataSource = full, Mode = SqliteOpenMode.ReadOnly, Pooling = true }.ToString();
            return (new SqliteWriteStore(conn), new SqliteReadStore(readCs), version, full);
        }
        catch (SqliteException e)
        {
            conn.Dispose();
            throw new ParleyException($"cannot open sqlite:{path}: {e.Message}", e);
        }
        catch
        {
            conn.Dispose();
            throw;
        }
    }

    /// <summary>SPEC 3's startup mode: migrate under the lock then verify, verify only, or nothing. A drifted or
    /// unmigrated database is refused (fail closed) with the differences and the command that mends them.</summary>
    private static int ApplyStartupMode(string path, LedgerOptions options)
    {
        if (options.Schema == SchemaStartupMode.Off) return -1;
        using var engine = new SqliteSchemaEngine(path, options.MigrationLockTimeout);
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
                throw new ParleyException($"sqlite:{path} is at schema version {status.Version} and this Parley needs version {status.Head}; run `parley db migrate`.");
            version = status.Version;
        }
        var drift = runner.Verify();
        if (drift.Count > 0)
            throw new ParleyException($"schema drift in sqlite:{path} (version {version}); refusing to start:\n  {string.Join("\n  ", drift)}\n" +
                                      "Run `parley db repair` to re-create what is missing; `parley db verify` lists the differences again.");
        return version;
    }

    private static void Pragma(SqliteConnection conn, string pragma)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "PRAGMA " + pragma;
        cmd.ExecuteNonQuery();
    }
}
