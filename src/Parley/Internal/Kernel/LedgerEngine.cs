using System.Data.Common;
using System.Reflection;
using Microsoft.Extensions.Logging;
using Parley.Internal.Schema;

namespace Parley.Internal.Kernel;

/// <summary>A database opened for a ledger: the writer's store, the pooled readers, and whatever the engine runs in
/// the background (SQLite's checkpointer), disposed with the ledger.</summary>
internal sealed record OpenedDatabase(WriteStore Writer, ReadDatabase Reader, int SchemaVersion, IAsyncDisposable? Background = null);

/// <summary>What an engine's own integrity check found (<see cref="LedgerEngine.CheckIntegrity"/>).</summary>
internal sealed record IntegrityReport(IReadOnlyList<string> Problems, bool Unreadable);

/// <summary>An engine's own backup file, checked and open for reading (<see cref="LedgerEngine.OpenNativeBackup"/>).</summary>
internal sealed record NativeBackupFile(DbConnection Connection, SqlFlavor Flavor, int SchemaVersion) : IDisposable
{
    public void Dispose() => Connection.Dispose();
}

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

    /// <summary>The statements that refresh the planner's statistics and tidy storage (<c>parley maintain</c>).</summary>
    public abstract IEnumerable<string> MaintenanceSql { get; }

    /// <summary>The engine's own integrity check, for the data check: what it finds wrong, one line each; with
    /// <see cref="IntegrityReport.Unreadable"/> when the database cannot even be checked (then nothing else is).</summary>
    public virtual IntegrityReport CheckIntegrity(DbConnection conn) => new([], Unreadable: false);

    /// <summary>Where the spool goes unless configured (docs/reliability.md): for a server database, a file in the
    /// working directory named after its engine, host, port and name.</summary>
    public virtual string DefaultSpoolPath(DatabaseUrl url)
    {
        var uri = new Uri(url.Target);
        var name = $"parley-{url.Engine}-{uri.Host}-{uri.Port}-{uri.AbsolutePath.Trim('/')}";
        return string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' ? c : '_')) + ".spool";
    }

    /// <summary>Whether the engine writes its own backup file (SQLite: the online backup API); otherwise Parley's
    /// NDJSON is used.</summary>
    public virtual bool NativeBackupPossible => false;

    /// <summary>Writes the engine's own backup into <paramref name="path"/>, an empty file created owner-only.</summary>
    public virtual void NativeBackup(DatabaseUrl url, string path) => throw new NotSupportedException();

    /// <summary>This engine's own backup in <paramref name="file"/>, checked whole and opened for reading; null when
    /// the file is not one (then it is Parley's NDJSON).</summary>
    public virtual NativeBackupFile? OpenNativeBackup(string file) => null;

    /// <summary>When a restore is about to create the database (a SQLite file that does not exist yet): what removes
    /// it again if the restore fails.</summary>
    public virtual Action? UndoIfCreated(DatabaseUrl url) => null;

    /// <summary>After rows were restored with their ids: whatever the engine needs so new rows get new ids
    /// (PostgreSQL moves its identity sequences past them).</summary>
    public virtual void AfterRestore(DbConnection conn)
    {
    }

    /// <summary>The schema version of the database (0 when it holds no Parley schema).</summary>
    public int SchemaVersion(DatabaseUrl url)
    {
        using var schema = Schema(url, TimeSpan.FromSeconds(60));
        return SchemaEngines.Runner(schema).Status().Version;
    }

    /// <summary>The file that holds the database, when it is one (SQLite), so a backup is never written over it.</summary>
    public virtual string? DatabaseFile(DatabaseUrl url) => null;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, LedgerEngine> Registered = new(StringComparer.Ordinal)
    {
        ["sqlite"] = Sqlite.SqliteEngine.Instance,
    };

    /// <summary>Makes <paramref name="engine"/> the one that opens URLs of this kind (<see cref="DatabaseUrl.Engine"/>).
    /// The server engines register themselves through their package's public call (docs/hosting.md, "Engines").</summary>
    public static void Register(string kind, LedgerEngine engine) => Registered[kind] = engine;

    /// <summary>Every registered engine.</summary>
    public static IEnumerable<LedgerEngine> All => Registered.Values;

    /// <summary>The engine for this URL: the one registered for its kind, or else — for a caller that never registered
    /// one, such as a plain library user with the engine package beside Parley — the engine package loaded by name.
    /// This is the one switch on the engine kind.</summary>
    public static LedgerEngine For(DatabaseUrl url) =>
        Registered.TryGetValue(url.Engine, out var engine) ? engine : url.Engine switch
        {
            "postgres" => Load("Parley.PostgreSql", "Parley.PostgreSql.PostgresEngine", "ParleyPostgreSql.Register()", url),
            "mysql" => Load("Parley.MySql", "Parley.MySql.MySqlEngine", "ParleyMySql.Register()", url),
            _ => throw new ArgumentException($"{url.Engine} databases are not supported.", "database"),
        };

    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "The fallback for callers that did not register the engine; registering needs no reflection (docs/hosting.md, \"Engines\").")]
    private static LedgerEngine Load(string assembly, string type, string register, DatabaseUrl url)
    {
        Assembly loaded;
        try
        {
            loaded = Assembly.Load(assembly);
        }
        catch (FileNotFoundException)
        {
            throw new ArgumentException($"{url.Engine} databases need the {assembly} package beside Parley; add a reference to it and call {register} at startup.", "database");
        }
        var engine = (LedgerEngine)Activator.CreateInstance(loaded.GetType(type, throwOnError: true)!)!;
        return Registered.GetOrAdd(url.Engine, engine);
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
