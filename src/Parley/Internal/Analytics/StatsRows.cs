namespace Parley.Internal.Analytics;

/// <summary>One count of <c>parley_stats_counts</c>: messages created in a cell with a channel, a template (<c>''</c>
/// for none) and a current status.</summary>
internal readonly record struct CountKey(string TenantKey, int Grain, long Cell, string Channel, string Template, string Status);

/// <summary>One row of <c>parley_stats_latency</c>: <see cref="LatencySketch.BlockSize"/> consecutive buckets of one
/// histogram, from bucket <c>Block × BlockSize</c>.</summary>
internal readonly record struct LatencyKey(string TenantKey, int Grain, long Cell, string Channel, string Template, string Kind, int Block);

/// <summary>One error code of <c>parley_stats_errors</c>: messages whose latest failure carried it.</summary>
internal readonly record struct ErrorKey(string TenantKey, int Grain, long Cell, string Channel, string Template, string ErrorCode);

/// <summary>What one message adds to the rollups (docs/analytics.md, "What counts"): its status in the quarter of its
/// <c>created_at</c>, each latency both of whose times came from reports of those statuses, and its latest error.</summary>
internal readonly record struct StatsContribution(
    string TenantKey, long Quarter, string Channel, string Template, string Status,
    double? SentToDelivered, double? DeliveredToRead, string? ErrorCode, long ErrorAt)
{
    public static StatsContribution Of(MessageRowView m, string template)
    {
        var d = m.Delivery;
        double? s2d = d is { SentAt: { } s, SentImplied: false, DeliveredAt: { } dl, DeliveredImplied: false }
            ? Math.Max(0, (dl - s).TotalMilliseconds) : null;
        double? d2r = d is { DeliveredAt: { } dd, DeliveredImplied: false, ReadAt: { } r } ? Math.Max(0, (r - dd).TotalMilliseconds) : null;
        var errorAt = d.ErrorAt ?? d.FailedAt;
        return new(m.TenantKey, StatsCells.QuarterOf(m.CreatedAt), m.Channel, template, WireNames.Of(d.Status), s2d, d2r,
            d.ErrorCode, errorAt?.ToUnixTimeMilliseconds() ?? 0);
    }
}

/// <summary>The fields of a message the rollups read.</summary>
internal readonly record struct MessageRowView(string TenantKey, DateTimeOffset CreatedAt, string Channel, string? Template, Reports.DeliveryState Delivery)
{
    public static MessageRowView Of(Messages.MessageRow m) => new(m.TenantKey, m.CreatedAt, m.Channel, m.Template, m.Delivery);
}
