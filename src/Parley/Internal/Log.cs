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
}
