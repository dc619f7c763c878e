using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Parley.Internal.Spool;
using Parley.Internal.SystemEvents;
using Polly;
using Polly.Retry;

namespace Parley.Internal.Kernel;

/// <summary>Group commit: one thread owns the write connection and drains the queue of callers' operations into
/// one transaction, so one fsync serves every caller waiting at that moment. It never waits on a timer: when the
/// queue is empty it commits what it has (PERFORMANCE.md). A caller's task completes only after the commit — or,
/// when the database cannot be written, after the write is in the spool (<c>Writer.Spool.cs</c>).</summary>
internal sealed partial class Writer : IAsyncDisposable
{
    private readonly Channel<WriteOp> _queue;
    private readonly WriteStore _store;
    private readonly WriteBatch _batch;
    private readonly int _maxOps;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline _retry;
    private readonly Thread _thread;
    private readonly List<Action<LedgerChange>> _subscribers = [];
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _recoveredSinceLastEvent;
    private long _queued;
    private long _commits;
    private long _callsCommitted;
    private long _commitTicks;
    private readonly long[] _latency = new long[WriterStatistics.CommitSecondsBounds.Count];
    private readonly long[] _groups = new long[WriterStatistics.CallsPerCommitBounds.Count];

    public Writer(WriteStore store, SpoolFile? spool, LedgerOptions options, ILogger log, string database = "")
    {
        _store = store;
        Database = database;
        _databaseTag = new KeyValuePair<string, object?>(Telemetry.DatabaseTag, database);
        _spool = spool;
        _spoolAfter = options.SpoolAfter;
        _time = options.TimeProvider;
        // A spool that holds writes at open is replayed at once; its replay is counted from now.
        _spoolingSince = _time.GetTimestamp();
        if (SpoolPending == 0) _drained.TrySetResult();
        _batch = new WriteBatch(store, options.TimeProvider, options.ParkedReportTtl);
        _maxOps = Math.Max(1, options.MaxCallsPerCommit);
        _log = log;
        // An unbounded single-reader channel is lock-free; a bounded one takes a lock on every write and read, which
        // 64 HTTP callers and the writer contended for. The bound is kept by Enqueue instead.
        // The idle writer thread blocks on WaitToReadAsync; with synchronous continuations the caller whose write
        // arrives wakes it directly. Otherwise the wake-up is a work item on the thread pool, queued behind whatever
        // else is queued there (under load, reads; docs/architecture.md, "Reads beside the writer"). The only
        // continuation is that wake-up: no caller ever runs the writer's work.
        _queue = Channel.CreateUnbounded<WriteOp>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = true });
        // The backoff is a wait for the database (another connection's lock, a server coming back), so it runs on real
        // time, never on the ledger's clock: a clock that does not move (a test's fake one) must not hold a write there
        // for ever. Whether to go on retrying or spool is decided on the ledger's clock (SpoolNow); on a clock that does
        // not move, that is after MaxRetryAttempts real-time backoffs (docs/reliability.md, "Time").
        _retry = new ResiliencePipelineBuilder { TimeProvider = TimeProvider.System }.AddRetry(new RetryStrategyOptions
        {
            // With a spool, a database that stays unavailable is not retried for long: the write is spooled instead.
            ShouldHandle = new PredicateBuilder().Handle<Exception>(e => store.IsTransient(e) && !SpoolNow()),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(20),
            MaxDelay = TimeSpan.FromSeconds(2),
            MaxRetryAttempts = 10,
            OnRetry = args =>
            {
                Log.TransientWriteError(_log, args.AttemptNumber + 1, args.Outcome.Exception?.Message);
                Interlocked.Increment(ref _recoveredSinceLastEvent);
                return default;
            },
        }).Build();
        _thread = new Thread(Loop) { IsBackground = true, Name = "parley-writer" };
        _thread.Start();
        Telemetry.Watch(this);
    }

    /// <summary>The database written to, with any password hidden (the telemetry tag).</summary>
    public string Database { get; }

    private readonly KeyValuePair<string, object?> _databaseTag;

    /// <summary>Operations waiting for a commit.</summary>
    public long QueueDepth => Interlocked.Read(ref _queued);

    public WriterStatistics Statistics => new(Interlocked.Read(ref _commits), Interlocked.Read(ref _callsCommitted),
        TimeSpan.FromTicks(Interlocked.Read(ref _commitTicks)), QueueDepth, Cumulative(_latency), Cumulative(_groups));

    private static long[] Cumulative(long[] counts)
    {
        var result = new long[counts.Length];
        long sum = 0;
        for (var i = 0; i < counts.Length; i++) result[i] = sum += Interlocked.Read(ref counts[i]);
        return result;
    }

    private static void Count(long[] buckets, IReadOnlyList<double> bounds, double value)
    {
        for (var i = 0; i < bounds.Count; i++)
        {
            if (value <= bounds[i])
            {
                Interlocked.Increment(ref buckets[i]);
                return;
            }
        }
    }

    /// <summary>Calls <paramref name="handler"/> on the writer thread after each commit, for each change; it must be
    /// quick and must not throw (hand the change to a queue).</summary>
    public IDisposable Subscribe(Action<LedgerChange> handler)
    {
        lock (_subscribers) _subscribers.Add(handler);
        return new Unsubscriber(this, handler);
    }

    private sealed class Unsubscriber(Writer writer, Action<LedgerChange> handler) : IDisposable
    {
        public void Dispose()
        {
            lock (writer._subscribers) writer._subscribers.Remove(handler);
        }
    }

    private void PublishChanges()
    {
        if (_batch.Changes.Count == 0) return;
        Action<LedgerChange>[] handlers;
        lock (_subscribers) handlers = [.. _subscribers];
        foreach (var change in _batch.Changes)
            foreach (var handler in handlers) handler(change);
    }

    /// <summary>The most calls that may wait for the writer; past it callers wait for room (backpressure).</summary>
    private const long MaxQueued = 64 * 1024;

    /// <summary>Queues <paramref name="op"/> and answers with its result once its commit is durable (or it went to
    /// the spool).</summary>
    public async Task<TResult> Enqueue<TResult>(WriteOp<TResult> op, CancellationToken ct = default) => (TResult)(await Enqueue((WriteOp)op, ct))!;

    private async Task<object?> Enqueue(WriteOp op, CancellationToken ct)
    {
        while (Interlocked.Read(ref _queued) >= MaxQueued) await Task.Delay(1, ct);
        Interlocked.Increment(ref _queued);
        if (!_queue.Writer.TryWrite(op))
        {
            Interlocked.Decrement(ref _queued);
            throw new ObjectDisposedException(nameof(Ledger), "the ledger is closed; open it again to write.");
        }
        return await op.Completion;
    }

    private void Loop()
    {
        var ops = new List<WriteOp>(_maxOps);
        try
        {
            while (WaitForWork())
            {
                if (ReplayDue()) Replay();
                ops.Clear();
                if (!TakeQueued(ops)) continue;
                // While writes wait in the spool, new ones queue behind them there, so that replay keeps their order.
                if (SpoolPending > 0) Spool(ops, cause: null);
                else Commit(ops);
                RecordRecoveries();
            }
            if (SpoolPending > 0) Replay();
            _stopped.TrySetResult();
        }
#pragma warning disable CA1031 // The writer thread must report every failure to its callers, never die silently.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.WriterStopped(_log, e);
            _stopped.TrySetException(e);
        }
    }

    private void Commit(List<WriteOp> ops, bool rerun = false)
    {
        try
        {
            // The clock decides when to give up and spool; the stopwatch only measures the commit for telemetry.
            _commitStarted = _time.GetTimestamp();
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            using (var activity = Telemetry.Source.StartActivity("parley.commit"))
            {
                _retry.Execute(static state => state.Self.RunTransaction(state.Ops, joinQueued: true), (Self: this, Ops: ops));
                activity?.SetTag(Telemetry.DatabaseTag, Database).SetTag("parley.calls", ops.Count);
            }
            var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            Measure(elapsed, ops.Count);
            Interlocked.Add(ref _commitTicks, elapsed.Ticks);
            Count(_latency, WriterStatistics.CommitSecondsBounds, elapsed.TotalSeconds);
            Count(_groups, WriterStatistics.CallsPerCommitBounds, ops.Count);
            Interlocked.Increment(ref _commits);
            Interlocked.Add(ref _callsCommitted, ops.Count);
            foreach (var op in ops) op.Complete();
            PublishChanges();
            _store.AfterCommit();
        }
        catch (Exception e) when (_spool is not null && _store.IsUnavailable(e))
        {
            // The retries did not recover: nothing to record as recovered.
            Interlocked.Exchange(ref _recoveredSinceLastEvent, 0);
            Spool(ops, e);
        }
        catch (Exception e) when (ops.Count > 1 && !_store.IsTransient(e) && !_store.IsUnavailable(e))
        {
            // Something unexpected failed the shared transaction: run each call alone so only the culprit fails.
            Log.BatchFailed(_log, ops.Count, e);
            foreach (var op in ops) Commit([op]);
        }
        catch (Exception e) when (ops.Count == 1 && !rerun && _store.IsDuplicate(e))
        {
            // Another process wrote the same key between this write's reads and its insert: run it once more, and its
            // reads now find that row and answer as for any repeat (the stored message, or a conflict).
            Commit(ops, rerun: true);
        }
#pragma warning disable CA1031 // Every failure goes to the caller as a ParleyException.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Interlocked.Exchange(ref _recoveredSinceLastEvent, 0);
            var error = new ParleyException($"the write could not be committed: {e.Message}", e);
            foreach (var op in ops) op.Fail(error);
        }
    }

    // The instruments of a committed group (Telemetry): its duration and size, and its reports by outcome.
    private void Measure(TimeSpan elapsed, int calls)
    {
        if (Telemetry.CommitDuration.Enabled) Telemetry.CommitDuration.Record(elapsed.TotalSeconds, _databaseTag);
        if (Telemetry.CommitCalls.Enabled) Telemetry.CommitCalls.Record(calls, _databaseTag);
        if (!Telemetry.Reports.Enabled) return;
        foreach (var (outcome, n) in _batch.Outcomes)
            Telemetry.Reports.Add(n, _databaseTag, new KeyValuePair<string, object?>("parley.outcome", outcome));
    }

    /// <summary>Moves queued calls into <paramref name="ops"/>, up to the commit limit; false when none were waiting.</summary>
    private bool TakeQueued(List<WriteOp> ops)
    {
        var before = ops.Count;
        while (ops.Count < _maxOps && _queue.Reader.TryRead(out var op)) ops.Add(op);
        Interlocked.Add(ref _queued, before - ops.Count);
        return ops.Count > before;
    }

    private void RunTransaction(List<WriteOp> ops, bool joinQueued)
    {
        _batch.Reset();
        lock (_subscribers) _batch.Publishing = _subscribers.Count > 0;
        _store.Begin();
        try
        {
            // Calls that arrive while the transaction runs join it, until the queue is empty at that moment: the
            // group grows with the load and no caller ever waits on a timer.
            var executed = 0;
            do
            {
                _batch.Preload(ops.Skip(executed));
                for (; executed < ops.Count; executed++) ops[executed].Execute(_batch);
            } while (joinQueued && TakeQueued(ops));
            _batch.Flush();
            _store.Commit();
            _batch.Stats.Committed();
        }
        catch
        {
            _store.Rollback();
            throw;
        }
    }

    // A recovered transient error is recorded as a system event (docs/lifecycle.md, "System events"), in its own small
    // transaction.
    private void RecordRecoveries()
    {
        var recovered = Interlocked.Exchange(ref _recoveredSinceLastEvent, 0);
        if (recovered == 0) return;
        var detail = $$"""{"retries":{{recovered}}}""";
        var op = new SystemEventOp(SystemEventLevel.Warning, "writer", "transient_error_recovered", detail, Timestamps.Now(_batch.Clock));
        Commit([op]);
    }

    public async ValueTask DisposeAsync()
    {
        Telemetry.Forget(this);
        _queue.Writer.TryComplete();
        try
        {
            await _stopped.Task;
        }
        finally
        {
            _store.Dispose();
            _spool?.Dispose();
        }
    }
}
