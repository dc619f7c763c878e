using System.Text.Json;
using System.Text.Json.Nodes;
using Parley.Internal.Spool;
using Parley.Internal.SystemEvents;

namespace Parley.Internal.Kernel;

/// <summary>The writer's side of the spool (README, "When the database is unavailable: the spool"). When a commit fails
/// because the database is unavailable (after retrying for <see cref="LedgerOptions.SpoolAfter"/>), its writes are
/// appended to the spool, fsync'd, and their callers told <c>spooled</c>. From then on every new write queues behind
/// them in the spool, so order is kept, while the writer tries to replay the spool into the database with a growing
/// pause (0.25 s to 2 s). Replay runs the same operations in order, in transactions of up to
/// <see cref="LedgerOptions.MaxCallsPerCommit"/> records, and moves the spool's position only after each commit. Once
/// the spool is empty, writes go straight to the database again. A write the database refuses on replay (its session
/// was deleted meanwhile …) is kept in <c>.rejected</c> beside the spool with an error system event: nothing is dropped
/// silently. Every wait here is on the ledger's clock (<see cref="LedgerOptions.TimeProvider"/>), so a test that drives
/// the clock decides when a write has waited long enough to be spooled and when a replay is due.</summary>
internal sealed partial class Writer
{
    private static readonly TimeSpan FirstReplayDelay = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LongestReplayDelay = TimeSpan.FromSeconds(2);
    private const long ReplayBytesPerCommit = 8 * 1024 * 1024;

    private readonly SpoolFile? _spool;
    private readonly TimeSpan _spoolAfter;
    private long _commitStarted; // timestamps of the ledger's clock, here and below
    // Completes when the next replay attempt is due; complete at first, so a spool that holds writes when the ledger
    // opens is replayed at once. Set by the writer thread (ScheduleReplay), under _replayLock.
    private Task _replayDue = Task.CompletedTask;
    private readonly Lock _replayLock = new();
    // Completes when the writer next schedules a replay on the clock (ReplayWaiting); replaced each time.
    private TaskCompletionSource _replayScheduled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TimeSpan _replayDelay = FirstReplayDelay;
    private long _spoolingSince;
    private volatile TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _replayedSinceEmpty;
    private Task<bool>? _waiting;

    /// <summary>Writes waiting in the spool.</summary>
    public int SpoolPending => _spool?.Pending ?? 0;

    /// <summary>Bytes waiting in the spool.</summary>
    public long SpoolBytes => _spool?.PendingBytes ?? 0;

    public SpoolFile? SpoolFile => _spool;

    /// <summary>Completes once the spool is empty again and its replay is recorded (the <c>spool_replayed</c> system
    /// event); already complete while the spool holds nothing.</summary>
    public Task SpoolDrained => _drained.Task;

    /// <summary>Completes once the writer waits for a replay attempt that is not due yet — at once if it does now, else
    /// when it next schedules one (after spooling a first write, or after an attempt the database refused). Until the
    /// ledger's clock passes that attempt's pause (at most 2.4 s, with jitter), it is not made: a test that drives the clock
    /// moves it on then, instead of guessing when the wait has begun.</summary>
    public Task ReplayWaiting
    {
        get
        {
            lock (_replayLock) return _replayDue.IsCompleted ? _replayScheduled.Task : Task.CompletedTask;
        }
    }

    private void ScheduleReplay(TimeSpan pause)
    {
        // The delay's timer exists before anyone is told: moving the clock past it from then on ends it.
        var due = Task.Delay(pause, _time);
        TaskCompletionSource scheduled;
        lock (_replayLock)
        {
            _replayDue = due;
            scheduled = _replayScheduled;
            _replayScheduled = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        scheduled.TrySetResult();
    }

    private bool SpoolNow() => _spool is not null && _time.GetElapsedTime(_commitStarted) >= _spoolAfter;

    private bool ReplayDue() => SpoolPending > 0 && _replayDue.IsCompleted;

    /// <summary>Waits for queued writes or, while the spool holds writes, for the next replay attempt; false once the
    /// ledger is closing and the queue is empty.</summary>
    private bool WaitForWork()
    {
        _waiting ??= _queue.Reader.WaitToReadAsync().AsTask();
        if (SpoolPending > 0)
        {
            if (!_replayDue.IsCompleted) Task.WaitAny(_waiting, _replayDue);
            if (!_waiting.IsCompleted) return true;
        }
        var more = _waiting.GetAwaiter().GetResult();
        _waiting = null;
        return more;
    }

    /// <summary>Appends the writes to the spool with one fsync and tells their callers. A write that cannot wait
    /// (it answers from the database) fails with <see cref="ParleyUnavailableException"/>.</summary>
    private void Spool(List<WriteOp> ops, Exception? cause)
    {
        var spool = _spool!;
        var spooled = new List<WriteOp>(ops.Count);
        var payloads = new List<byte[]>(ops.Count + 1);
        foreach (var op in ops)
        {
            if (op.ToSpool() is { } write)
            {
                spooled.Add(op);
                payloads.Add(write.Encode());
            }
            else
            {
                op.Fail(new ParleyUnavailableException(cause is null
                    ? $"the database is unavailable and {spool.Pending:N0} writes wait in the spool; this call needs the database — try again shortly."
                    : $"the database is unavailable ({cause.Message}); this call needs the database — try again shortly.", cause ?? new InvalidOperationException("spooling")));
            }
        }
        if (spooled.Count == 0) return;
        var first = spool.Pending == 0;
        if (first)
        {
            var detail = new JsonObject { ["spool"] = spool.Path, ["error"] = cause?.Message };
            payloads.Insert(0, new SpooledSystemEvent(SystemEventLevel.Warning, "spool", "spool_used", detail.ToJsonString(), Timestamps.Now(_batch.Clock)).Encode());
        }
        try
        {
            spool.Append(payloads);
        }
        catch (SpoolFullException e)
        {
            foreach (var op in spooled) op.Fail(e);
            return;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogSpoolFailed(e);
            var error = new ParleyUnavailableException(
                $"the database cannot be written ({cause?.Message ?? "writes are waiting in the spool"}) and the spool '{spool.Path}' cannot take the write either: {e.Message}", e);
            foreach (var op in spooled) op.Fail(error);
            return;
        }
        if (first)
        {
            Log.Spooling(_log, cause?.Message ?? "", spool.Path);
            _spoolingSince = _time.GetTimestamp();
            _replayedSinceEmpty = 0;
            _replayDelay = FirstReplayDelay;
            ScheduleReplay(FirstReplayDelay);
            if (_drained.Task.IsCompleted) _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        if (Telemetry.SpooledWrites.Enabled) Telemetry.SpooledWrites.Add(spooled.Count, _databaseTag);
        foreach (var op in spooled) op.CompleteSpooled();
    }

    /// <summary>Replays the spool into the database, in order, until it is empty or the database fails again.</summary>
    private void Replay()
    {
        var spool = _spool!;
        while (spool.Pending > 0)
        {
            var records = spool.ReadPending(_maxOps, ReplayBytesPerCommit);
            var ops = Decode(records);
            if (ops.Count == 0)
            {
                // Its checksum held, so this is a record no version of this code wrote; keep it for a person.
                Reject(records[0].Payload, new JsonException("the spool record cannot be read as a write"));
                spool.MarkReplayed(records[0].End, 1);
                continue;
            }
            records.RemoveRange(ops.Count, records.Count - ops.Count);
            if (!TryReplay(ops))
            {
                if (_store.IsUnavailable(_lastReplayError!) || _store.IsTransient(_lastReplayError!))
                {
                    WaitBeforeReplay();
                    return;
                }
                // One of them fails for a reason of its own: replay them one at a time, so only that one is kept aside.
                for (var i = 0; i < ops.Count; i++)
                {
                    if (!TryReplay([ops[i]]))
                    {
                        if (_store.IsUnavailable(_lastReplayError!) || _store.IsTransient(_lastReplayError!))
                        {
                            WaitBeforeReplay();
                            return;
                        }
                        Reject(records[i].Payload, _lastReplayError!);
                    }
                    else if (ops[i].Refusal is { } refusal) Reject(records[i].Payload, refusal);
                    spool.MarkReplayed(records[i].End, 1);
                    _replayedSinceEmpty++;
                    PublishChanges();
                }
                continue;
            }
            for (var i = 0; i < ops.Count; i++)
                if (ops[i].Refusal is { } refusal) Reject(records[i].Payload, refusal);
            spool.MarkReplayed(records[^1].End, records.Count);
            _replayedSinceEmpty += records.Count;
            PublishChanges();
        }
        var seconds = _time.GetElapsedTime(_spoolingSince).TotalSeconds;
        Log.SpoolReplayed(_log, _replayedSinceEmpty, seconds);
        _replayDelay = FirstReplayDelay;
        var detail = new JsonObject { ["spool"] = spool.Path, ["records"] = _replayedSinceEmpty, ["seconds"] = Math.Round(seconds, 3) };
        Commit([new SystemEventOp(SystemEventLevel.Info, "spool", "spool_replayed", detail.ToJsonString(), Timestamps.Now(_batch.Clock))]);
        // That event may itself have gone to the spool (the database failed again): then the spool is not drained yet.
        if (spool.Pending == 0) _drained.TrySetResult();
    }

    private Exception? _lastReplayError;

    /// <summary>The operations of the leading records that read as writes (all of them, unless one does not).</summary>
    private static List<WriteOp> Decode(List<(byte[] Payload, long End)> records)
    {
        var ops = new List<WriteOp>(records.Count);
        foreach (var (payload, _) in records)
        {
            try
            {
                ops.Add(SpooledWrite.Decode(payload).ToOp());
            }
            catch (Exception e) when (e is JsonException or NotSupportedException)
            {
                break;
            }
        }
        return ops;
    }

    private bool TryReplay(List<WriteOp> ops)
    {
        try
        {
            RunTransaction(ops, joinQueued: false);
            return true;
        }
#pragma warning disable CA1031 // The caller decides from the error whether to wait or to set the write aside.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _lastReplayError = e;
            return false;
        }
    }

    private void WaitBeforeReplay()
    {
        Log.SpoolReplayWaits(_log, _replayDelay);
        ScheduleReplay(_replayDelay * (0.8 + 0.4 * Random.Shared.NextDouble()));
        _replayDelay = TimeSpan.FromTicks(Math.Min(_replayDelay.Ticks * 2, LongestReplayDelay.Ticks));
    }

    /// <summary>Keeps a spooled write the database refused in <c>.rejected</c> (one JSON line each, fsync'd) and
    /// records an error system event.</summary>
    private void Reject(byte[] payload, Exception error)
    {
        var spool = _spool!;
        var path = spool.Path + ".rejected";
        Log.SpoolRejected(_log, path, error.Message);
        var line = new JsonObject
        {
            ["rejected_at"] = Timestamps.ToText(Timestamps.Now(_batch.Clock)),
            ["error"] = error.Message,
            ["write"] = JsonNode.Parse(payload),
        };
        using (var file = new FileStream(path, PrivateFile.Options(FileMode.Append, FileAccess.Write, FileShare.Read)))
        {
            file.Write(System.Text.Encoding.UTF8.GetBytes(line.ToJsonString() + "\n"));
            file.Flush(flushToDisk: true);
        }
        var detail = new JsonObject { ["kept_in"] = path, ["error"] = error.Message };
        Commit([new SystemEventOp(SystemEventLevel.Error, "spool", "spooled_write_rejected", detail.ToJsonString(), Timestamps.Now(_batch.Clock))]);
    }

    // A full disk fails every write group: one line per interval says how many, instead of a stack trace for each.
    private static readonly TimeSpan SpoolFailedLogInterval = TimeSpan.FromSeconds(10);
    private long _spoolFailedSince; // the clock's timestamp of the last line, 0 before the first
    private int _spoolFailures;

    private void LogSpoolFailed(Exception e)
    {
        _spoolFailures++;
        if (_spoolFailedSince != 0 && _time.GetElapsedTime(_spoolFailedSince) < SpoolFailedLogInterval) return;
        var seconds = _spoolFailedSince == 0 ? 0 : (int)_time.GetElapsedTime(_spoolFailedSince).TotalSeconds;
        Log.SpoolFailed(_log, _spoolFailures, seconds, e.Message);
        _spoolFailures = 0;
        _spoolFailedSince = _time.GetTimestamp();
    }
}
