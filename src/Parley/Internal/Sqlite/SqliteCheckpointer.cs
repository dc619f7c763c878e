using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Parley.Internal.Sqlite;

/// <summary>Moves the WAL into the database file on its own connection and thread, so the writer's commits never
/// carry a checkpoint (SQLite's automatic one runs inside the commit that crosses the threshold, and every caller
/// in that group waits for it). PASSIVE checkpoints run beside the writer; the WAL is reset when a checkpoint has
/// copied everything and no reader needs it. Durability is unchanged: each commit still fsyncs the WAL.</summary>
/// <remarks>Under sustained writes a PASSIVE checkpoint never catches up with the writer, so the WAL is never
/// restarted and grows without bound; such a checkpoint also never syncs the database file (SQLite syncs it only
/// when a checkpoint reaches the end of the WAL), so the pages it copies stay dirty in the OS cache. Past
/// <see cref="Ceiling"/> this thread therefore syncs the database file itself, outside any lock, and then asks the
/// writer to restart the WAL (<see cref="TakeRestartRequest"/>): the writer runs a RESTART checkpoint on its own
/// connection between two commits (<c>SqliteWriteStore.AfterCommit</c>), which copies only what was written since and syncs
/// little. Measured under single-message HTTP load (docs/benchmarks.md): a RESTART taken from this thread had to win
/// the write lock from the busy writer through the busy handler, whose sleeps also delayed the writer's next
/// <c>BEGIN</c>, and its sync carried every page copied since the last one; that pause (20–30 ms, growing with the
/// database, several times a second) was most of the p99. This thread still restarts the WAL itself if the writer
/// has not managed to for a while (readers kept it busy). Its schedule — the pause between passes and that while — runs
/// on the ledger's clock (<see cref="LedgerOptions.TimeProvider"/>), so a test that drives the clock steps it.</remarks>
internal sealed class SqliteCheckpointer : IAsyncDisposable
{
    private const long Threshold = 4 * 1024 * 1024; // SQLite's own default is 1,000 pages
    // Once the WAL holds this much, it is restarted: the next writer starts it from its beginning, so the file is
    // reused, not truncated and grown again.
    private const long Ceiling = 16 * 1024 * 1024;
    // How long the writer has to restart the WAL before this thread does it, waiting for readers; and how long that
    // wait may last (writers wait behind it).
    private static readonly TimeSpan WriterGrace = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan FallbackWait = TimeSpan.FromMilliseconds(200);
    // The pause between two passes, shorter past the ceiling: until the writer has restarted the WAL, every write makes
    // it longer.
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan PauseOverCeiling = TimeSpan.FromMilliseconds(50);
    // This connection's busy timeout outside the fallback.
    private static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(5);
    private readonly string _path;
    private readonly SqliteConnection _conn;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly long _pageSize;
    private long _overCeilingSince; // a timestamp of the clock; 0 while the WAL is under its ceiling
    private volatile bool _restartWanted;

    public SqliteCheckpointer(string path, ILogger log, TimeProvider time)
    {
        _path = path;
        _log = log;
        _time = time;
        _conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        _conn.Open();
        // PASSIVE checkpoints never wait; the fallback RESTART sets its own short wait (RestartWaitingBriefly).
        using (var cmd = _conn.CreateCommand())
        {
            cmd.CommandText = $"PRAGMA busy_timeout = {(int)BusyTimeout.TotalMilliseconds}";
            cmd.ExecuteNonQuery();
            cmd.CommandText = "PRAGMA page_size";
            _pageSize = Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }
        _loop = Task.Factory.StartNew(Loop, TaskCreationOptions.LongRunning).Unwrap();
    }

    private async Task Loop()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_overCeilingSince == 0 ? Pause : PauseOverCeiling, _time, _stop.Token);
                // The writer has not taken the last request yet: a checkpoint now would only make its RESTART fail.
                if (_restartWanted) continue;
                if (WalSize() <= Threshold) continue;
                var frames = Checkpoint("PASSIVE").Frames;
                if (frames * _pageSize <= Ceiling)
                {
                    _overCeilingSince = 0;
                    continue;
                }
                if (_overCeilingSince == 0) _overCeilingSince = _time.GetTimestamp();
                if (_time.GetElapsedTime(_overCeilingSince) > WriterGrace)
                {
                    // Readers kept the writer's attempts from restarting the WAL. This RESTART waits for them, and
                    // writers wait while it does, so it waits briefly and at most once per grace period.
                    Log.CheckpointRestarting(_log, FallbackWait);
                    if (!RestartWaitingBriefly())
                    {
                        Log.CheckpointRestartGaveUp(_log, FallbackWait);
                        _overCeilingSince = _time.GetTimestamp();
                    }
                }
                else if (!_restartWanted)
                {
                    SqliteFileSync.TrySync(_conn.Handle!);
                    _restartWanted = true;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SqliteException e)
            {
                Log.CheckpointFailed(_log, e);
            }
        }
    }

    /// <summary>Takes this thread's request that the writer restart the WAL between two commits: true once per request,
    /// whether or not the writer's attempt then succeeds (a failed one is asked for again at the next pass).</summary>
    public bool TakeRestartRequest()
    {
        if (!_restartWanted) return false;
        _restartWanted = false;
        return true;
    }

    private long WalSize()
    {
        var wal = new FileInfo(_path + "-wal");
        return wal.Exists ? wal.Length : 0;
    }

    private bool RestartWaitingBriefly() => Restart(_conn.Handle!, FallbackWait, BusyTimeout);

    /// <summary>Runs a RESTART checkpoint on <paramref name="db"/>, waiting at most <paramref name="wait"/> for readers
    /// and writers (the connection's busy timeout is put back afterwards); true when the WAL will start over.</summary>
    internal static bool Restart(SQLitePCL.sqlite3 db, TimeSpan wait, TimeSpan busyTimeout)
    {
        SQLitePCL.raw.sqlite3_busy_timeout(db, (int)wait.TotalMilliseconds);
        try
        {
            return SQLitePCL.raw.sqlite3_wal_checkpoint_v2(db, "main", SQLitePCL.raw.SQLITE_CHECKPOINT_RESTART, out _, out _) == SQLitePCL.raw.SQLITE_OK;
        }
        finally
        {
            SQLitePCL.raw.sqlite3_busy_timeout(db, (int)busyTimeout.TotalMilliseconds);
        }
    }

    /// <summary>Runs a checkpoint; returns whether it was blocked from completing and how many frames the WAL holds.</summary>
    private (bool Busy, long Frames) Checkpoint(string mode)
    {
        using var cmd = _conn.CreateCommand();
        cmd.CommandText = $"PRAGMA wal_checkpoint({mode})";
        using var r = cmd.ExecuteReader();
        return r.Read() ? (r.GetInt64(0) != 0, r.GetInt64(1)) : (false, 0);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
        _conn.Dispose();
    }
}
