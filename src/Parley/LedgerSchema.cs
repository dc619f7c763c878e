using Parley.Internal.Kernel;
using Parley.Internal.Schema;

namespace Parley;

/// <summary>Schema management for one database (docs/cli.md, "db"): what <c>parley db …</c> does, from code. Each
/// call connects, takes the migration lock where it changes or must see a settled history, and disconnects; the
/// object holds no connection and may be kept. Get one from an open ledger (<see cref="Ledger.Schema"/>) or, for a
/// database a ledger should not open yet (not migrated, drifted, newer than the code), from
/// <see cref="For(LedgerOptions)"/>. Calls that only read (<see cref="GetStatusAsync"/>, <see cref="GetHistoryAsync"/>,
/// <see cref="VerifyAsync"/>) never create a database on a mistyped path.</summary>
/// <example><code>
/// var schema = LedgerSchema.For(new LedgerOptions { Database = "postgres://parley:secret@db/parley" });
/// foreach (var sql in (await schema.MigrateAsync(dryRun: true)).Sql) Console.WriteLine(sql);
/// await schema.MigrateAsync();
/// if ((await schema.VerifyAsync()).Count > 0) throw new InvalidOperationException("schema drift");
/// </code></example>
public sealed class LedgerSchema
{
    private readonly DatabaseUrl _url;
    private readonly LedgerEngine _engine;
    private readonly TimeSpan _lockTimeout;
    private readonly TimeProvider _clock;

    internal LedgerSchema(DatabaseUrl url, LedgerOptions options)
    {
        _url = url;
        _engine = LedgerEngine.For(url);
        _lockTimeout = options.MigrationLockTimeout;
        _clock = options.TimeProvider;
    }

    /// <summary>Schema management for <see cref="LedgerOptions.Database"/>, with the options' migration lock timeout
    /// and clock. Throws <see cref="ArgumentException"/> for a bad URL; connects only when a call needs it.</summary>
    public static LedgerSchema For(LedgerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new LedgerSchema(DatabaseUrl.Parse(options.Database), options);
    }

    /// <summary>The newest schema version this Parley declares.</summary>
    public static int Head => ParleySchema.Head;

    /// <summary>The database, with any password hidden.</summary>
    public string Database => _url.ToString();

    /// <summary>The database's version, this Parley's, and what is pending (a migration that stopped part way on an
    /// engine without transactional DDL says how many of its steps ran). Read under the migration lock, so it waits
    /// for a migration in progress; <paramref name="progress"/> hears that wait.</summary>
    public Task<SchemaStatus> GetStatusAsync(IProgress<string>? progress = null, CancellationToken cancellationToken = default) =>
        Run(existing: true, progress, runner => Public(runner.Status()), cancellationToken);

    /// <summary>Every migration recorded in the database's history, oldest first.</summary>
    public Task<IReadOnlyList<AppliedMigration>> GetHistoryAsync(IProgress<string>? progress = null, CancellationToken cancellationToken = default) =>
        Run(existing: true, progress, runner => (IReadOnlyList<AppliedMigration>)[.. runner.History().Select(Public)], cancellationToken);

    /// <summary>The status and the differences between the live schema and the applied version's, read without the
    /// migration lock (for health probes, which must not queue behind a migration or a writer).</summary>
    public Task<SchemaInspection> InspectAsync(CancellationToken cancellationToken = default) =>
        Run(existing: true, null, runner =>
        {
            var (status, drift) = runner.Observe();
            return new SchemaInspection(Public(status), [.. drift.Select(Public)]);
        }, cancellationToken);

    /// <summary>Applies pending migrations up to <paramref name="to"/> (default: <see cref="Head"/>) under the migration
    /// lock, resuming one that stopped part way. Steps that drop, rename or narrow are refused unless
    /// <paramref name="allowDestructive"/>; with <paramref name="dryRun"/> nothing changes and
    /// <see cref="SchemaChange.Sql"/> is what would run. <paramref name="progress"/> hears each migration as it starts
    /// and any wait for another process's lock.</summary>
    public Task<SchemaChange> MigrateAsync(int? to = null, bool dryRun = false, bool allowDestructive = false, IProgress<string>? progress = null,
        CancellationToken cancellationToken = default) =>
        Run(existing: false, progress, runner => runner.Migrate(to, dryRun, allowDestructive), cancellationToken);

    /// <summary>Undoes the migrations above <paramref name="to"/>, newest first, under the migration lock; the same
    /// consent and dry run as <see cref="MigrateAsync"/>.</summary>
    public Task<SchemaChange> RollbackAsync(int to, bool dryRun = false, bool allowDestructive = false, IProgress<string>? progress = null,
        CancellationToken cancellationToken = default) =>
        Run(existing: true, progress, runner => runner.Rollback(to, dryRun, allowDestructive), cancellationToken);

    /// <summary>Compares the live schema (Parley's own history table included) with what the applied version
    /// declares; empty when they match.</summary>
    public Task<IReadOnlyList<SchemaDrift>> VerifyAsync(IProgress<string>? progress = null, CancellationToken cancellationToken = default) =>
        Run(existing: true, progress, runner => (IReadOnlyList<SchemaDrift>)[.. runner.Verify().Select(Public)], cancellationToken);

    /// <summary>Re-creates what the applied version declares and the database lacks (tables, columns, indexes,
    /// triggers); never drops anything, and returns what is left for a person.</summary>
    public Task<SchemaRepair> RepairAsync(IProgress<string>? progress = null, CancellationToken cancellationToken = default) =>
        Run(existing: true, progress, runner =>
        {
            var (repaired, left) = runner.Repair();
            return new SchemaRepair([.. repaired.Select(Public)], [.. left.Select(Public)]);
        }, cancellationToken);

    /// <summary>Adopts a database whose schema is already at <paramref name="version"/> (a baseline): history rows,
    /// no DDL. Only for a database without history; <see cref="VerifyAsync"/> then compares it.</summary>
    public Task StampAsync(int version, IProgress<string>? progress = null, CancellationToken cancellationToken = default) =>
        Run(existing: false, progress, runner =>
        {
            runner.Stamp(version);
            return 0;
        }, cancellationToken);

    /// <summary>The DDL of the migrations after <paramref name="from"/> up to <paramref name="to"/> (default
    /// <see cref="Head"/>), in this database's engine's dialect, each migration headed by a <c>-- vN name</c> comment.
    /// Needs no database.</summary>
    public IReadOnlyList<string> Sql(int from = 0, int? to = null)
    {
        using var engine = _engine.Schema(_url, _lockTimeout, needsDatabase: false);
        return new SchemaRunner(engine, ParleySchema.Migrations, _clock).Sql(from, to ?? Head);
    }

    /// <summary>Every destructive step (drop, rename, narrowing) in the migrations, forward (<c>up:</c>) and back
    /// (<c>down:</c>). Needs no database.</summary>
    public IReadOnlyList<string> Lint()
    {
        using var engine = _engine.Schema(_url, _lockTimeout, needsDatabase: false);
        return new SchemaRunner(engine, ParleySchema.Migrations, _clock).Lint();
    }

    private Task<T> Run<T>(bool existing, IProgress<string>? progress, Func<SchemaRunner, T> body, CancellationToken cancellationToken) =>
        Task.Run(() =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (existing) _engine.RequireExisting(_url);
            using var engine = _engine.Schema(_url, _lockTimeout);
            return body(new SchemaRunner(engine, ParleySchema.Migrations, _clock, progress is null ? null : progress.Report));
        }, cancellationToken);

    private static SchemaStatus Public(Internal.Schema.SchemaStatus s) => new(s.Version, s.Head, [.. s.History.Select(Public)],
        [.. s.Pending.Select(m => new PendingMigration(m.Version, m.Name, m.Up.Count, s.History.FirstOrDefault(h => h.Version == m.Version)?.PartialDone))]);

    private static AppliedMigration Public(HistoryRow h) => new(h.Version, h.Name, h.Checksum, h.AppliedAt, h.ExecutionMs, h.AppliedBy, h.State);

    private static SchemaDrift Public(Drift d) => new(d.Message, d.Fix is not null);
}

/// <summary>Where a database's schema stands (<see cref="LedgerSchema.GetStatusAsync"/>).</summary>
/// <param name="Version">The applied version (0: no Parley schema yet).</param>
/// <param name="Head">This Parley's newest version.</param>
/// <param name="History">The recorded migrations.</param>
/// <param name="Pending">What <see cref="LedgerSchema.MigrateAsync"/> would apply.</param>
public sealed record SchemaStatus(int Version, int Head, IReadOnlyList<AppliedMigration> History, IReadOnlyList<PendingMigration> Pending)
{
    /// <summary>Whether nothing is pending.</summary>
    public bool IsUpToDate => Pending.Count == 0;
}

/// <summary>A row of Parley's schema history.</summary>
/// <param name="Version">The migration's version.</param>
/// <param name="Name">Its name.</param>
/// <param name="Checksum">The checksum of its declared steps when it was applied.</param>
/// <param name="AppliedAt">When it was applied.</param>
/// <param name="ExecutionMs">How long it ran.</param>
/// <param name="AppliedBy">Who ran it (<c>user@host pid N</c>).</param>
/// <param name="State"><c>applied</c>, <c>baseline</c> (stamped), or <c>partial k/n</c>.</param>
public sealed record AppliedMigration(int Version, string Name, string Checksum, DateTimeOffset AppliedAt, long ExecutionMs, string AppliedBy, string State);

/// <summary>A migration not applied yet.</summary>
/// <param name="Version">Its version.</param>
/// <param name="Name">Its name.</param>
/// <param name="Steps">How many steps it has.</param>
/// <param name="StepsDone">How many of them ran before it stopped part way (an engine without transactional DDL), or
/// null when it has not started; migrating resumes after them.</param>
public sealed record PendingMigration(int Version, string Name, int Steps, int? StepsDone);

/// <summary>What a migrate or rollback did, or in a dry run would do.</summary>
/// <param name="From">The version before.</param>
/// <param name="To">The version after.</param>
/// <param name="Versions">The migrations applied or undone, in order.</param>
/// <param name="Sql">The statements that ran (or would run).</param>
/// <param name="DryRun">Whether nothing was changed.</param>
public sealed record SchemaChange(int From, int To, IReadOnlyList<int> Versions, IReadOnlyList<string> Sql, bool DryRun);

/// <summary>One difference between the live schema and the declared one.</summary>
/// <param name="Message">What differs, in words.</param>
/// <param name="Repairable">Whether <see cref="LedgerSchema.RepairAsync"/> re-creates it (something missing);
/// anything extra or changed is left for a person.</param>
public sealed record SchemaDrift(string Message, bool Repairable)
{
    /// <inheritdoc/>
    public override string ToString() => Message;
}

/// <summary>What <see cref="LedgerSchema.RepairAsync"/> re-created and what it left.</summary>
/// <param name="Repaired">The differences mended.</param>
/// <param name="Left">The differences only a person can mend.</param>
public sealed record SchemaRepair(IReadOnlyList<SchemaDrift> Repaired, IReadOnlyList<SchemaDrift> Left);

/// <summary>The status and drift read without the migration lock (<see cref="LedgerSchema.InspectAsync"/>).</summary>
/// <param name="Status">Where the schema stands.</param>
/// <param name="Drift">The differences from the applied version's schema.</param>
public sealed record SchemaInspection(SchemaStatus Status, IReadOnlyList<SchemaDrift> Drift);
