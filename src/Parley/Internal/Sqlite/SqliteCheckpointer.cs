using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Parley.Internal.Sqlite;

/// <summary>Moves the WAL into the database file on its own connection and thread, so the writer's commits never
/// carry a checkpoint (SQLite's automatic one runs inside the commit that crosses the threshold, and every caller
/// in that group waits for it). PASSIVE checkpoints run beside the writer; the WAL is reset when a checkpoint has
/// copied everything and no reader needs it. Durability is unchanged: each commit still fsyncs the WAL.</summary>
internal sealed class SqliteCheckpointer : IAsyncDisposable
{
    private const long Threshold = 4 * 1024 * 1024; // SQLite's own default is 1,000 pages
    private readonly string _path;
    private readonly SqliteConnection _conn;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public SqliteCheckpointer(string path, ILogger log)
    {
        _path = path;
        _log = log;
        _conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        _conn.Open();
        _loop = Task.Factory.StartNew(Loop, TaskCreationOptions.LongRunning).Unwrap();
    }

    private async Task Loop()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(200, _stop.Token);
                if (WalSize() > Threshold) Checkpoint("PASSIVE");
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

    private long WalSize()
    {
        var wal = new FileInfo(_path + "-wal");
        return wal.Exists ? wal.Length : 0;
    }

    private void Checkpoint(string mode)
    {
        using var cmd = _conn.CreateCommand();
        cmd.CommandText = $"PRAGMA wal_checkpoint({mode})";
        cmd.ExecuteNonQuery();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
        _conn.Dispose();
    }
}
