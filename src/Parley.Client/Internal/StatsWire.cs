namespace Parley.Client.Internal;

/// <summary>The analytics answers as the server writes them (docs/analytics.md): one figure set is flat, with its
/// channel or template beside the figures.</summary>
internal sealed record StatsWire(
    string? Channel, string? Template, long Messages, Dictionary<string, long> StatusCounts,
    double? DeliveryRate, double? ReadRate, double? FailureRate, LatencyWire LatencyMs)
{
    public MessageStats ToStats() => new(Messages, Counts(StatusCounts), DeliveryRate, ReadRate, FailureRate, LatencyMs.SentToDelivered, LatencyMs.DeliveredToRead);

    public static IReadOnlyDictionary<MessageStatus, long> Counts(Dictionary<string, long> wire) =>
        Enum.GetValues<MessageStatus>().ToDictionary(s => s, s => wire.GetValueOrDefault(WireEnumConverter<MessageStatus>.Name(s)));
}

internal sealed record LatencyWire(LatencyStats SentToDelivered, LatencyStats DeliveredToRead);

internal sealed record StatsReportWire(DateTimeOffset Since, DateTimeOffset Until, string Tz, double RelativeError, StatsWire Overall,
    List<StatsWire> ByChannel, List<StatsWire> ByTemplate)
{
    public StatsReport ToReport() => new(Since, Until, Tz, RelativeError, Overall.ToStats(),
        [.. ByChannel.Select(c => new ChannelStats(c.Channel ?? "", c.ToStats()))], [.. ByTemplate.Select(t => new TemplateStats(t.Template, t.ToStats()))]);
}

internal sealed record DayWire(DateOnly Date, long Messages, Dictionary<string, long> StatusCounts, double? DeliveryRate);

internal sealed record DailyWire(string Tz, List<DayWire> Days)
{
    public DailyStats ToDaily() => new(Tz, [.. Days.Select(d => new DayStats(d.Date, d.Messages, StatsWire.Counts(d.StatusCounts), d.DeliveryRate))]);
}
