namespace Parley.Internal.Analytics;

/// <summary>The writer's side of the rollups (docs/analytics.md): added to in the write's own transaction.</summary>
internal interface IStatsWrites
{
    /// <summary>Adds to counts, inserting the missing ones; where statements are round trips, in few statements.</summary>
    void AddCounts(IReadOnlyList<(CountKey Key, long Delta)> rows);

    /// <summary>Adds to latency buckets, a row of <see cref="LatencySketch.BlockSize"/> at a time.</summary>
    void AddLatencies(IReadOnlyList<(LatencyKey Key, long[] Buckets)> rows);

    /// <summary>Adds to error counts; <c>last_at</c> (Unix milliseconds) only ever grows.</summary>
    void AddErrors(IReadOnlyList<(ErrorKey Key, long Delta, long LastAt)> rows);

    /// <summary>The templates a tenant's figures name on their own (<c>''</c>: the tenant itself, registered with its
    /// first message).</summary>
    List<string> StatsTemplates(string tenantKey);

    /// <summary>Registers a template (or, with <c>''</c>, a tenant); nothing when it is there already.</summary>
    void AddStatsTemplate(string tenantKey, string template);

    /// <summary>The messages of one session, before it is deleted.</summary>
    List<Messages.MessageRow> SessionMessages(string tenantKey, string sessionId);
}
