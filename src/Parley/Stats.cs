namespace Parley;

/// <summary>Which figures to answer (docs/analytics.md, "Windows"): <see cref="Days"/> local days ending today in
/// <see cref="TimeZone"/> (1–400, 30 when neither it nor <see cref="Since"/> is given), or an explicit
/// <see cref="Since"/>/<see cref="Until"/> window, widened to whole quarter hours.</summary>
public sealed record StatsQuery
{
    /// <summary>Today and the days before it, in <see cref="TimeZone"/>: 1 to 400.</summary>
    public int? Days { get; init; }

    /// <summary>The start of an explicit window (instead of <see cref="Days"/>).</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>The end of an explicit window (exclusive; now when only <see cref="Since"/> is given).</summary>
    public DateTimeOffset? Until { get; init; }

    /// <summary>The IANA time zone days are taken in.</summary>
    public string TimeZone { get; init; } = "UTC";

    /// <summary>Only messages of this channel.</summary>
    public string? Channel { get; init; }

    /// <summary>Only messages of this template (<c>__other__</c>: the templates past the cap).</summary>
    public string? Template { get; init; }
}

/// <summary>Latency percentiles in milliseconds, from histograms whose relative error is
/// <see cref="StatsReport.RelativeError"/>; null when <see cref="Count"/> is 0.</summary>
public sealed record LatencyStats(long Count, double? P50, double? P90, double? P99);

/// <summary>The figures of a set of messages: how many, by current status, the rates (null when their denominator is
/// 0) and the latencies (docs/analytics.md, "What counts").</summary>
public sealed record MessageStats(
    long Messages,
    IReadOnlyDictionary<MessageStatus, long> StatusCounts,
    double? DeliveryRate,
    double? ReadRate,
    double? FailureRate,
    LatencyStats SentToDelivered,
    LatencyStats DeliveredToRead);

/// <summary>One channel's figures.</summary>
public sealed record ChannelStats(string Channel, MessageStats Stats);

/// <summary>One template's figures (<see cref="Template"/> null: messages without a template).</summary>
public sealed record TemplateStats(string? Template, MessageStats Stats);

/// <summary>The figures of a window: overall, by channel and by template.</summary>
public sealed record StatsReport(
    DateTimeOffset Since,
    DateTimeOffset Until,
    string TimeZone,
    double RelativeError,
    MessageStats Overall,
    IReadOnlyList<ChannelStats> ByChannel,
    IReadOnlyList<TemplateStats> ByTemplate);

/// <summary>One local day's figures.</summary>
public sealed record DayStats(DateOnly Date, long Messages, IReadOnlyDictionary<MessageStatus, long> StatusCounts, double? DeliveryRate);

/// <summary>One entry per local day of the window, days without messages included, oldest first.</summary>
public sealed record DailyStats(string TimeZone, IReadOnlyList<DayStats> Days);

/// <summary>One bucket of a latency histogram: latencies above the previous bucket's <see cref="UpToMs"/> and at most
/// this one's (the first holds those under one millisecond, <see cref="UpToMs"/> 0), read back as
/// <see cref="Ms"/>, which is within the stated relative error of each of them.</summary>
public sealed record LatencyBucket(double UpToMs, double Ms, long Count);

/// <summary>A channel's latency histogram over every message the ledger holds (<c>/metrics</c>), in the rollups'
/// logarithmic buckets, ascending.</summary>
public sealed record LatencyHistogram(string Kind, string Channel, IReadOnlyList<LatencyBucket> Buckets);

/// <summary>Messages of the window whose latest failure carried <see cref="ErrorCode"/>, and the latest such failure.</summary>
public sealed record ErrorCodeStats(string ErrorCode, long Count, DateTimeOffset LastAt);
