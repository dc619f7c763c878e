using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Parley.Internal;
using Parley.Internal.Kernel;
using Parley.Internal.Reports;
using Parley.Internal.Retention;
using Parley.Internal.Spool;
using Parley.Internal.SystemEvents;

namespace Parley;

/// <summary>The message ledger: sessions, messages, delivery statuses and read markers over one database.
/// Thread-safe; open one per database and share it. Writes from all callers are committed together by one writer
/// (group commit) and a write's task completes only after its commit.</summary>
/// <example><code>
/// await using var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = "sqlite:app.db" });
/// var session = (await ledger.CreateSessionAsync(new NewSession { Kind = "ai_chat" })).Session;
/// var hello = await ledger.LogMessageAsync(session.Id, new NewMessage { SenderType = SenderType.User, Content = "hi" });
/// </code></example>
public sealed partial class Ledger : IAsyncDisposable
{
    /// <summary>The most messages one <see cref="LogMessagesAsync"/> call, or reports one
    /// <see cref="ReportStatusesAsync"/> call, may carry.</summary>
    public const int MaxBatch = 1000;

    private readonly Writer _writer;
    private readonly ReadDatabase _reader;
    // Admission of reads (LedgerOptions.MaxConcurrentReads), shared with the tenant views. Never disposed: a read may
    // still release it after the ledger closed, and it holds no wait handle.
    private readonly SemaphoreSlim _reads;
    private readonly ReadThreads _readThreads;
    private readonly TimeProvider _clock;
    private readonly ITimer _expiry;
    private readonly ILogger _log;
    private readonly IAsyncDisposable? _background;
    private readonly Ledger? _root;
    // The tenant key this view is confined to (SessionRow.TenantKey: "" for sessions without a tenant), or null for
    // the ledger OpenAsync returned, which sees every tenant.
    private readonly string? _scope;
    private int _disposed;

    private Ledger(Writer writer, ReadDatabase reader, IAsyncDisposable? background, LedgerOptions options, ILogger log, DatabaseUrl url, int version)
    {
        Schema = new LedgerSchema(url, options);
        Admin = new LedgerAdmin(url, options, this);
        _writer = writer;
        _background = background;
        _reader = reader;
        _reads = new SemaphoreSlim(options.MaxConcurrentReads, options.MaxConcurrentReads);
        // No more threads than cores: past that, admitted reads wait for a thread, and a server engine's reads wait
        // on the server, off any thread.
        _readThreads = new ReadThreads(Math.Min(options.MaxConcurrentReads, Environment.ProcessorCount));
        _clock = options.TimeProvider;
        _log = log;
        Database = url.ToString();
        SchemaVersion = version;
        // Parked reports expire after their time to live (docs/lifecycle.md, rule 9): checked at open and then hourly.
        _expiry = _clock.CreateTimer(_ => _ = ExpireQuietly(), null, TimeSpan.Zero, TimeSpan.FromHours(1));
    }

    // A view confined to one tenant: the same writer, reader and clock; it owns none of them.
    private Ledger(Ledger root, string scope)
    {
        _root = root;
        _writer = root._writer;
        _reader = root._reader;
        _reads = root._reads;
        _readThreads = root._readThreads;
        _clock = root._clock;
        _log = root._log;
        _expiry = root._expiry;
        _scope = scope;
        Schema = root.Schema;
        Admin = root.Admin;
        Database = root.Database;
        SchemaVersion = root.SchemaVersion;
    }

    /// <summary>This ledger confined to one tenant's namespace (docs/security.md, "Tenants"): session, message and
    /// provider ids are looked up in that tenant only, so another tenant's objects are unknown to it, and the same id
    /// may name different objects in two tenants. Sessions it creates belong to the tenant; reports it parks wait for
    /// that tenant's messages. A null <paramref name="tenant"/> is the namespace of sessions without a tenant. The
    /// ledger <see cref="OpenAsync"/> returns sees every tenant: an id it is given is found in whichever tenant holds
    /// it, and one that several hold is refused with <see cref="ParleyConflictException"/> naming them. The view
    /// shares this ledger's writer and connections; disposing it does nothing. Administration (keys, retention,
    /// backups, system events) is not confined.</summary>
    public Ledger ForTenant(string? tenant)
    {
        var key = tenant is null ? "" : Validate.Text(tenant, "tenant", 128, allowEmpty: false)!;
        var root = _root ?? this;
        return new Ledger(root, key);
    }

    /// <summary>Whether this ledger is confined to one tenant (<see cref="ForTenant"/>).</summary>
    public bool IsTenantScoped => _scope is not null;

    /// <summary>The tenant a confined ledger sees (null: sessions without a tenant, or a ledger not confined).</summary>
    public string? Tenant => _scope is { Length: > 0 } t ? t : null;

    /// <summary>The database this ledger writes to, with any password hidden.</summary>
    public string Database { get; }

    /// <summary>Schema management for this ledger's database (status, migrate, rollback, history, SQL, verify,
    /// repair, stamp, lint): what <c>parley db</c> does.</summary>
    public LedgerSchema Schema { get; }

    /// <summary>Administration of this ledger's database (check and repair, backup, restore, maintain, cleanup).</summary>
    public LedgerAdmin Admin { get; }

    /// <summary>The database URL with any password hidden, as Parley writes it in messages and logs; throws
    /// <see cref="ArgumentException"/> for a URL Parley does not know.</summary>
    public static string DescribeDatabase(string database) => DatabaseUrl.Parse(database).ToString();

    /// <summary>The schema version of the database when it was opened (-1 when the startup mode is <see cref="SchemaStartupMode.Off"/>).</summary>
    public int SchemaVersion { get; }

    /// <summary>Write calls waiting for the writer.</summary>
    public long WriteQueueDepth => _writer.QueueDepth;

    /// <summary>The spool: where it is and how many writes wait in it for the database
    /// (README, "When the database is unavailable: the spool"); null when the ledger was opened without one.</summary>
    public SpoolStatus? Spool => _writer.SpoolFile is { } file ? new SpoolStatus(file.Path, _writer.SpoolPending, _writer.SpoolBytes, file.MaxBytes) : null;

    /// <summary>Reads answer from the database, which does not yet hold the writes waiting in the spool: while any
    /// wait, reads are refused rather than answered wrongly.</summary>
    private void EnsureReadable()
    {
        var pending = _writer.SpoolPending;
        if (pending > 0)
            throw new ParleyUnavailableException($"the database is unavailable: {pending:N0} writes wait in the spool and a read would miss them; try again shortly.")
            {
                RetryAfter = TimeSpan.FromSeconds(2),
            };
    }

    /// <summary>Runs a read once it is admitted (<see cref="LedgerOptions.MaxConcurrentReads"/>), turning a database
    /// that cannot be reached into <see cref="ParleyUnavailableException"/>; a read cancelled while it waits for
    /// admission or while it runs throws <see cref="OperationCanceledException"/>.</summary>
    private async Task<T> ReadAsync<T>(Func<CancellationToken, Task<T>> read, CancellationToken cancellationToken, bool evenWhileSpooling = false)
    {
        if (!evenWhileSpooling) EnsureReadable();
        await _reads.WaitAsync(cancellationToken);
        try
        {
            // On the reader threads (ReadThreads), and back on the caller's context after it: never inline on a reader thread.
            return await Task.Factory.StartNew(() => read(cancellationToken), cancellationToken, TaskCreationOptions.DenyChildAttach, _readThreads).Unwrap()
                .ConfigureAwait(ConfigureAwaitOptions.ForceYielding | ConfigureAwaitOptions.ContinueOnCapturedContext);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or IOException or System.Net.Sockets.SocketException or TimeoutException
                                  && e is not ArgumentException && !cancellationToken.IsCancellationRequested)
        {
            throw new ParleyUnavailableException($"the database cannot be read: {e.Message}", e);
        }
        finally
        {
            _reads.Release();
        }
    }

    /// <summary>Takes one read's admission and holds it until the result is disposed (tests: a read in flight).</summary>
    internal async Task<IDisposable> HoldReadAdmissionAsync(CancellationToken cancellationToken = default)
    {
        await _reads.WaitAsync(cancellationToken);
        return new AdmissionHold(_reads);
    }

    private sealed class AdmissionHold(SemaphoreSlim reads) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) reads.Release();
        }
    }

    /// <summary>Calls <paramref name="handler"/> after every commit with what changed (sessions created and ended,
    /// messages logged, status reports applied). The handler runs on the writer's thread: it must be quick and must
    /// not throw — hand the change to a queue. Dispose the result to stop.</summary>
    public IDisposable Subscribe(Action<LedgerChange> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return _writer.Subscribe(handler);
    }

    /// <summary>Group commit counters since the ledger opened.</summary>
    public WriterStatistics WriterStatistics => _writer.Statistics;

    /// <summary>Opens (creating if needed) the database named by <see cref="LedgerOptions.Database"/> and applies the
    /// schema startup mode. Throws <see cref="ArgumentException"/> for a bad URL and <see cref="ParleyException"/>
    /// when the database cannot be opened or its schema is refused.</summary>
    public static async Task<Ledger> OpenAsync(LedgerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxConcurrentReads < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxConcurrentReads, "MaxConcurrentReads must be at least 1.");
        var url = DatabaseUrl.Parse(options.Database);
        var engine = LedgerEngine.For(url);
        if (!options.CreateIfMissing) engine.RequireExisting(url);
        var log = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Parley");
        var db = await Task.Run(() => engine.Open(url, options, log), cancellationToken);
        SpoolFile? spool = null;
        try
        {
            if (options.Spool) spool = SpoolFile.Open(options.SpoolPath ?? engine.DefaultSpoolPath(url), options.SpoolMaxBytes);
        }
        catch
        {
            db.Writer.Dispose();
            if (db.Background is not null) await db.Background.DisposeAsync();
            throw;
        }
        Log.Opened(log, url.ToString(), db.SchemaVersion);
        var ledger = new Ledger(new Writer(db.Writer, spool, options, log, url.ToString()), db.Reader, db.Background, options, log, url, db.SchemaVersion);
        if (spool?.DroppedTail is { } torn)
        {
            Log.SpoolTorn(log, spool.Path, torn.Bytes);
            await ledger.RecordSystemEventAsync(SystemEventLevel.Warning, "spool", "torn_record_dropped",
                new System.Text.Json.Nodes.JsonObject { ["spool"] = spool.Path, ["offset"] = torn.Offset, ["bytes"] = torn.Bytes, ["kept_in"] = spool.Path + ".torn" },
                cancellationToken);
        }
        return ledger;
    }

    /// <summary>Commits every write already queued, then closes the database.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_root is not null || Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _expiry.DisposeAsync();
        if (_background is not null) await _background.DisposeAsync();
        // Readers close first so that the writer's connection is the last: closing it checkpoints the rest of the
        // WAL and removes it (a read-only connection closing last could not).
        _reader.ClearPool();
        _readThreads.Dispose();
        await _writer.DisposeAsync();
    }

    /// <summary>Records a system event (docs/lifecycle.md, "System events").</summary>
    public Task RecordSystemEventAsync(SystemEventLevel level, string source, string name, System.Text.Json.Nodes.JsonObject? detail = null,
        CancellationToken cancellationToken = default)
    {
        var op = new SystemEventOp(Validate.Defined(level, "level"), Validate.Slug(source, "source"), Validate.RequiredText(name, "event", 64),
            Validate.Json(detail, "detail"), Now());
        return _writer.Enqueue(op, cancellationToken);
    }

    /// <summary>System events, newest first.</summary>
    public Task<IReadOnlyList<SystemEvent>> GetSystemEventsAsync(SystemEventLevel? level = null, int limit = 100, CancellationToken cancellationToken = default)
    {
        Validate.Range(limit, 1, 1000, "limit");
        return ReadAsync(ct => _reader.SystemEventsAsync(level, limit, ct), cancellationToken, evenWhileSpooling: true);
    }

    /// <summary>Drops parked reports older than <see cref="LedgerOptions.ParkedReportTtl"/>, each with a system
    /// event. Runs by itself hourly; returns how many expired.</summary>
    public async Task<int> ExpireParkedReportsAsync(CancellationToken cancellationToken = default) =>
        await _writer.Enqueue(new ExpireParkedOp(), cancellationToken);

    /// <summary>Retention (docs/cli.md, "maintain, cleanup"): deletes messages created before
    /// <paramref name="cutoff"/>, with their events, in batches of <paramref name="batchSize"/>, each its own short
    /// commit so other writers wait at most one batch; session summaries follow. <paramref name="progress"/> hears the
    /// running total. Returns how many were deleted (with <paramref name="dryRun"/>, how many would be). Records a
    /// system event.</summary>
    public async Task<long> CleanupAsync(DateTimeOffset cutoff, bool dryRun = false, int batchSize = 250, IProgress<long>? progress = null,
        CancellationToken cancellationToken = default)
    {
        Validate.Range(batchSize, 1, 10_000, "batch_size");
        if (dryRun) return await _writer.Enqueue(new CountBeforeOp(cutoff), cancellationToken);
        long total = 0;
        int deleted;
        do
        {
            deleted = await _writer.Enqueue(new CleanupBatchOp(cutoff, batchSize), cancellationToken);
            total += deleted;
            progress?.Report(total);
        }
        while (deleted == batchSize);
        await RecordSystemEventAsync(SystemEventLevel.Info, "maintenance", "cleanup",
            new System.Text.Json.Nodes.JsonObject { ["before"] = Timestamps.ToText(cutoff), ["deleted"] = total }, cancellationToken);
        return total;
    }

    /// <summary>Imports the rows of a verified NDJSON export (docs/transfer.md, "Import") through the writer, a batch of
    /// lines a transaction (a message never apart from its events), so other writers wait at most one batch.</summary>
    internal async Task<ImportResult> ImportLinesAsync(Stream verified, ImportOptions options, IProgress<TransferProgress>? progress, long totalLines,
        CancellationToken cancellationToken)
    {
        var context = new Internal.Transfer.ImportContext(options.Tenant);
        long inserted = 0, updated = 0, unchanged = 0, conflictCount = 0, done = 0;
        var conflicts = new List<ImportConflict>();
        var lines = new List<Internal.Transfer.ImportLine>(ImportBatchLines + 64);

        async Task Send()
        {
            if (lines.Count == 0) return;
            var result = await _writer.Enqueue(new Internal.Transfer.ImportBatchOp(context, [.. lines], options.OnConflict), cancellationToken);
            foreach (var (id, tenant) in result.Tenants) context.SessionTenants[id] = tenant;
            context.LastMessage = result.Last;
            inserted += result.Inserted;
            updated += result.Updated;
            unchanged += result.Unchanged;
            conflictCount += result.Conflicts.Count;
            conflicts.AddRange(result.Conflicts.Take(Math.Max(0, 1000 - conflicts.Count)));
            done += lines.Count;
            lines.Clear();
            progress?.Report(new TransferProgress(done, totalLines, "lines"));
        }

        await foreach (var line in Internal.Transfer.NdjsonReader.LinesAsync(verified, cancellationToken))
        {
            // A batch ends before a session or message line, never between a message and its events.
            if (lines.Count >= ImportBatchLines && line is not Internal.Transfer.EventLine) await Send();
            lines.Add(line);
        }
        await Send();
        await RecordSystemEventAsync(conflictCount > 0 ? SystemEventLevel.Warning : SystemEventLevel.Info, "maintenance", "import",
            new System.Text.Json.Nodes.JsonObject
            {
                ["file"] = options.Name, ["inserted"] = inserted, ["updated"] = updated, ["unchanged"] = unchanged, ["conflicts"] = conflictCount,
            }, cancellationToken);
        return new ImportResult(inserted, updated, unchanged, conflicts, conflictCount);
    }

    /// <summary>Lines in one import transaction: large enough that a commit's fixed cost is spread thin, small enough
    /// that the writer's other callers wait only milliseconds.</summary>
    private const int ImportBatchLines = 2000;

    /// <summary>A setting of the writer's connection (<c>synchronous</c>, <c>journal_mode</c> …), for diagnostics.</summary>
    internal async Task<object?> ReadWriterPragmaAsync(string name) => await _writer.Enqueue(new ReadSettingOp(name));

    /// <summary>Completes once the spool has been replayed and is empty (at once when it holds nothing), for tests.</summary>
    internal Task SpoolDrained => _writer.SpoolDrained;

    /// <summary>Completes once the writer waits on the ledger's clock for a replay attempt (at once if it does now), for
    /// tests that drive that clock.</summary>
    internal Task ReplayWaiting => _writer.ReplayWaiting;

    private async Task ExpireQuietly()
    {
        try
        {
            var count = await ExpireParkedReportsAsync();
            if (count > 0) Log.ParkedExpired(_log, count);
        }
        catch (ObjectDisposedException)
        {
        }
        catch (ParleyException e)
        {
            Log.ParkedExpiryFailed(_log, e);
        }
    }

    private DateTimeOffset Now() => Timestamps.Now(_clock);

    private static string NewId() => Ulid.NewUlid().ToString();
}
