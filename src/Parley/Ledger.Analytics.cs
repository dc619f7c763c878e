using Parley.Internal.Analytics;

namespace Parley;

public sealed partial class Ledger
{
    /// <summary>Delivery figures of a window, overall, by channel and by template, answered from the rollups kept in
    /// each write's own transaction, never from a scan of the messages (docs/analytics.md). A ledger confined to a
    /// tenant (<see cref="ForTenant"/>) answers that tenant's figures; one that is not, every tenant's together. Bad
    /// parameters (days out of 1–400, an unknown zone, a window that ends before it starts) are an
    /// <see cref="ArgumentException"/> naming the parameter.</summary>
    public Task<StatsReport> GetStatsAsync(StatsQuery? query = null, CancellationToken cancellationToken = default)
    {
        var q = StatsRequest.Of(query ?? new StatsQuery(), _clock.GetUtcNow());
        return ReadAsync(ct => _reader.StatsAsync(_scope, q, ct), cancellationToken);
    }

    /// <summary>The figures of each local day of a window (<see cref="GetStatsAsync"/>'s window and filters), days
    /// without messages included, oldest first.</summary>
    public Task<DailyStats> GetDailyStatsAsync(StatsQuery? query = null, CancellationToken cancellationToken = default)
    {
        var q = StatsRequest.Of(query ?? new StatsQuery(), _clock.GetUtcNow());
        return ReadAsync(ct => _reader.DailyAsync(_scope, q, ct), cancellationToken);
    }

    /// <summary>Each channel's latency histograms (<c>sent_to_delivered</c>, <c>delivered_to_read</c>) over every
    /// message the ledger holds, from the rollups' coarsest cells: what <c>/metrics</c> exports. Answered even while
    /// writes wait in the spool (the figures then miss them).</summary>
    public Task<IReadOnlyList<LatencyHistogram>> GetLatencyHistogramsAsync(CancellationToken cancellationToken = default) =>
        ReadAsync(ct => _reader.HistogramsAsync(_scope, ct), cancellationToken, evenWhileSpooling: true);

    /// <summary>The error codes of a window's failed messages, most frequent first.</summary>
    public Task<IReadOnlyList<ErrorCodeStats>> GetErrorStatsAsync(StatsQuery? query = null, CancellationToken cancellationToken = default)
    {
        var q = StatsRequest.Of(query ?? new StatsQuery(), _clock.GetUtcNow());
        return ReadAsync(ct => _reader.ErrorsAsync(_scope, q, ct), cancellationToken);
    }
}
