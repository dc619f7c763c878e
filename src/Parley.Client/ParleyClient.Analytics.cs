using Parley.Client.Internal;

namespace Parley.Client;

public sealed partial class ParleyClient
{
    /// <summary>A window's delivery figures (<c>GET /api/v1/stats</c>, docs/analytics.md), as
    /// <see cref="Ledger.GetStatsAsync"/> answers them.</summary>
    public async Task<StatsReport> GetStatsAsync(StatsQuery? query = null, CancellationToken cancellationToken = default)
    {
        var (body, _) = await CallAsync(HttpMethod.Get, "api/v1/stats", Window(query ?? new StatsQuery(), explicitWindow: true), null, ClientJson.Default.StatsReportWire, cancellationToken)
            .ConfigureAwait(false);
        return body.ToReport();
    }

    /// <summary>Each local day's figures (<c>GET /api/v1/stats/daily</c>); the window is <see cref="StatsQuery.Days"/>.</summary>
    public async Task<DailyStats> GetDailyStatsAsync(StatsQuery? query = null, CancellationToken cancellationToken = default)
    {
        var (body, _) = await CallAsync(HttpMethod.Get, "api/v1/stats/daily", Window(query ?? new StatsQuery(), explicitWindow: false), null, ClientJson.Default.DailyWire, cancellationToken)
            .ConfigureAwait(false);
        return body.ToDaily();
    }

    /// <summary>A window's error codes, most frequent first (<c>GET /api/v1/stats/errors</c>).</summary>
    public async Task<IReadOnlyList<ErrorCodeStats>> GetErrorStatsAsync(StatsQuery? query = null, CancellationToken cancellationToken = default)
    {
        var (body, _) = await CallAsync(HttpMethod.Get, "api/v1/stats/errors", Window(query ?? new StatsQuery(), explicitWindow: true), null, ClientJson.Default.ErrorStats, cancellationToken)
            .ConfigureAwait(false);
        return body.Items;
    }

    private QueryString Window(StatsQuery query, bool explicitWindow)
    {
        if (!explicitWindow && (query.Since ?? query.Until) is not null)
            throw new ArgumentException("the daily figures take days, not since/until.", nameof(query));
        return Scoped().Add("days", query.Days).Add("since", query.Since).Add("until", query.Until)
            .Add("tz", query.TimeZone).Add("channel", query.Channel).Add("template", query.Template);
    }
}
