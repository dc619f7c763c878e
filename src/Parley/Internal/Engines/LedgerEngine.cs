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

    /// <summary>The engine's spellings for the shared SQL.</summary>
    public abstract SqlFlavor Flavor { get; }

    /// <summary>Runs SPEC 4's data check (and with <paramref name="repair"/>, recomputes what is derived).</summary>
    public List<CheckFinding> Check(DatabaseUrl url, bool repair)
    {
        using var conn = Connect(url);
        return new DataCheck(conn, Flavor, url.Engine).Run(repair);
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

    /// <summary>SPEC 3's startup mode: migrate under the lock then verify, verify only, or nothing. A drifted or
    /// unmigrated database is refused (fail closed) with the differences and the command that mends them.</summary>
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
