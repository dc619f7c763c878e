namespace Parley;

/// <summary>Counters of the ledger's writer since it opened: how group commit is doing.</summary>
/// <param name="Commits">Transactions committed.</param>
/// <param name="CallsCommitted">Write calls those transactions carried (a batch of messages is one call).</param>
/// <param name="CommitTime">Time spent executing and committing them.</param>
/// <param name="QueueDepth">Calls waiting for the writer now.</param>
/// <param name="CommitSecondsBuckets">Commits per latency bucket, cumulative, bounds in <see cref="CommitSecondsBounds"/>.</param>
/// <param name="CallsPerCommitBuckets">Commits per group size bucket, cumulative, bounds in <see cref="CallsPerCommitBounds"/>.</param>
public sealed record WriterStatistics(long Commits, long CallsCommitted, TimeSpan CommitTime, long QueueDepth,
    IReadOnlyList<long> CommitSecondsBuckets, IReadOnlyList<long> CallsPerCommitBuckets)
{
    /// <summary>Upper bounds of the commit latency buckets, in seconds.</summary>
    public static IReadOnlyList<double> CommitSecondsBounds { get; } = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

    /// <summary>Upper bounds of the group size buckets, in calls.</summary>
    public static IReadOnlyList<double> CallsPerCommitBounds { get; } = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000];

    /// <summary>How many calls one commit served on average (one fsync each).</summary>
    public double CallsPerCommit => Commits == 0 ? 0 : (double)CallsCommitted / Commits;
}

/// <summary>The spool now (README, "When the database is unavailable: the spool").</summary>
/// <param name="Path">The spool file.</param>
/// <param name="Pending">Writes waiting in it for the database.</param>
/// <param name="PendingBytes">Their size.</param>
/// <param name="MaxBytes">How much it may hold before writes are refused.</param>
public sealed record SpoolStatus(string Path, int Pending, long PendingBytes, long MaxBytes);
