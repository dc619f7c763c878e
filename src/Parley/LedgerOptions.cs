using Microsoft.Extensions.Logging;

namespace Parley;

/// <summary>How a ledger opens its database.</summary>
public sealed class LedgerOptions
{
    /// <summary>The database URL: <c>sqlite:path/to/file.db</c> (the file is created if missing).</summary>
    public string Database { get; set; } = "sqlite:parley.db";

    /// <summary>SQLite's <c>synchronous</c> setting. <see cref="SqliteSynchronous.Full"/> (the default) makes every
    /// acknowledged write survive power loss; <see cref="SqliteSynchronous.Normal"/> survives process crashes only.</summary>
    public SqliteSynchronous Synchronous { get; set; } = SqliteSynchronous.Full;

    /// <summary>Whether opening may create the database when it does not exist (a SQLite file; default true). Tools
    /// that only read or delete pass false, so a mistyped path fails with <see cref="ArgumentException"/> and creates
    /// nothing. A server database always exists once its URL connects.</summary>
    public bool CreateIfMissing { get; set; } = true;

    /// <summary>What opening does with the schema: migrate then verify (default), verify only, or nothing.</summary>
    public SchemaStartupMode Schema { get; set; } = SchemaStartupMode.Migrate;

    /// <summary>How long opening waits for another process's migration lock (default 60 s).</summary>
    public TimeSpan MigrationLockTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long reports for unknown provider ids are kept waiting for their message (default 7 days).</summary>
    public TimeSpan ParkedReportTtl { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long a write waits for another process's lock before retrying (default 5 s).</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The most write calls one commit carries (default 1,024). Calls queue while a commit runs and the
    /// next commit takes them all, so one fsync serves many callers.</summary>
    public int MaxCallsPerCommit { get; set; } = 1024;

    /// <summary>The most reads (transcripts, sessions, messages, searches, keys, system events) that run at once
    /// (default: half the processor count, at least 1). Further reads wait, asynchronously and in order, and a read
    /// cancelled while it waits never runs. On a machine the writer shares, reads running flat out would otherwise take
    /// every core from the writer and from its callers (docs/architecture.md, "Reads beside the writer"). Raise it
    /// when reads wait on a database server elsewhere rather than on these cores.</summary>
    public int MaxConcurrentReads { get; set; } = DefaultMaxConcurrentReads;

    /// <summary>The default of <see cref="MaxConcurrentReads"/> on this machine: half of
    /// <see cref="Environment.ProcessorCount"/>, at least 1.</summary>
    public static int DefaultMaxConcurrentReads => Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>Whether writes the database cannot take go to the spool (default true;
    /// README, "When the database is unavailable: the spool"). Command-line tools that only read or administer turn it
    /// off.</summary>
    public bool Spool { get; set; } = true;

    /// <summary>The spool file. Default: beside a SQLite database (<c>app.db.spool</c>); for a server database,
    /// <c>parley-{database}.spool</c> in the working directory. One process per spool.</summary>
    public string? SpoolPath { get; set; }

    /// <summary>The most the spool may hold (default 1 GiB); past it writes are refused with
    /// <see cref="SpoolFullException"/>.</summary>
    public long SpoolMaxBytes { get; set; } = 1L << 30;

    /// <summary>How long a write keeps retrying a database that cannot be reached before it is spooled (default 2 s).</summary>
    public TimeSpan SpoolAfter { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Where Parley logs; nothing is logged when null.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>The clock: timestamps, and the decisions made on time — when <see cref="SpoolAfter"/> has passed, when a
    /// spool replay is due, the SQLite checkpointer's schedule, when parked reports expire (tests may pass a fake one and
    /// advance it). The pause between retries of a failed commit is a wait for the database and runs on real time, so a
    /// clock that does not move never holds a write.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}

/// <summary>SQLite's durability setting.</summary>
public enum SqliteSynchronous
{
    /// <summary>fsync on every commit: nothing acknowledged is lost, even on power loss.</summary>
    Full,
    /// <summary>fsync at checkpoints only: safe against process crashes, not power loss.</summary>
    Normal,
}

/// <summary>What opening a ledger does with the schema (docs/cli.md, "serve": <c>--schema</c>).</summary>
public enum SchemaStartupMode
{
    /// <summary>Apply pending migrations under the migration lock, then verify.</summary>
    Migrate,
    /// <summary>Refuse to open unless the database is at the code's version.</summary>
    Verify,
    /// <summary>Trust the database as it is.</summary>
    Off,
}
