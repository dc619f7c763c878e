namespace Parley;

/// <summary>Counters of the ledger's writer since it opened: how group commit is doing.</summary>
/// <param name="Commits">Transactions committed.</param>
/// <param name="CallsCommitted">Write calls those transactions carried (a batch of messages is one call).</param>
/// <param name="CommitTime">Time spent executing and committing them.</param>
/// <param name="QueueDepth">Calls waiting for the writer now.</param>
public sealed record WriterStatistics(long Commits, long CallsCommitted, TimeSpan CommitTime, long QueueDepth)
{
    /// <summary>How many calls one commit served on average (one fsync each).</summary>
    public double CallsPerCommit => Commits == 0 ? 0 : (double)CallsCommitted / Commits;
}
