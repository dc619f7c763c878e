using Microsoft.Extensions.Logging;

namespace Parley.Internal;

/// <summary>Every log line Parley writes, source-generated.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Warning, "Transient database error, retry {Attempt}: {Error}")]
    public static partial void TransientWriteError(ILogger logger, int attempt, string? error);

    [LoggerMessage(2, LogLevel.Error, "A commit of {Count} calls failed; running them one by one")]
    public static partial void BatchFailed(ILogger logger, int count, Exception error);

    [LoggerMessage(3, LogLevel.Critical, "The writer stopped")]
    public static partial void WriterStopped(ILogger logger, Exception error);

    [LoggerMessage(4, LogLevel.Information, "Opened {Database} at schema version {Version}")]
    public static partial void Opened(ILogger logger, string database, int version);

    [LoggerMessage(5, LogLevel.Warning, "Expired {Count} parked reports")]
    public static partial void ParkedExpired(ILogger logger, int count);

    [LoggerMessage(7, LogLevel.Warning, "A background WAL checkpoint failed; the next one will try again")]
    public static partial void CheckpointFailed(ILogger logger, Exception error);

    [LoggerMessage(6, LogLevel.Error, "Expiring parked reports failed")]
    public static partial void ParkedExpiryFailed(ILogger logger, Exception error);

    [LoggerMessage(8, LogLevel.Error, "The database cannot be written ({Error}); writes go to the spool {Path}")]
    public static partial void Spooling(ILogger logger, string error, string path);

    [LoggerMessage(9, LogLevel.Information, "Replayed {Records} spooled writes in {Seconds:F1} s; writing to the database again")]
    public static partial void SpoolReplayed(ILogger logger, int records, double seconds);

    [LoggerMessage(10, LogLevel.Error, "A spooled write was refused by the database on replay and kept in {Path}: {Error}")]
    public static partial void SpoolRejected(ILogger logger, string path, string error);

    [LoggerMessage(11, LogLevel.Debug, "The database is still unavailable; spool replay waits {Delay}")]
    public static partial void SpoolReplayWaits(ILogger logger, TimeSpan delay);

    [LoggerMessage(12, LogLevel.Error, "Neither the database nor the spool could take {Failures} write group(s) in the last {Seconds} s; the callers were answered unavailable. Last error: {Reason}")]
    public static partial void SpoolFailed(ILogger logger, int failures, int seconds, string reason);

    [LoggerMessage(14, LogLevel.Debug, "The WAL is past its ceiling and readers kept the writer from restarting it: the checkpointer restarts it, waiting at most {Wait} for them")]
    public static partial void CheckpointRestarting(ILogger logger, TimeSpan wait);

    [LoggerMessage(15, LogLevel.Information, "Readers kept the WAL from being restarted: the checkpointer waited {Wait} for them, gave up, and tries again later")]
    public static partial void CheckpointRestartGaveUp(ILogger logger, TimeSpan wait);

    [LoggerMessage(13, LogLevel.Warning, "The spool {Path} ended in a torn record of {Bytes} bytes (a crash mid-append, never acknowledged); it was moved to {Path}.torn")]
    public static partial void SpoolTorn(ILogger logger, string path, long bytes);
}
