using System.Globalization;

namespace Parley.Internal.Analytics;

/// <summary>A checked <see cref="StatsQuery"/>: the zone found, the window in whole quarter hours (minutes since the
/// epoch) and its local days (docs/analytics.md, "Windows").</summary>
internal sealed record StatsRequest(TimeZoneInfo Zone, string ZoneName, long From, long To, IReadOnlyList<(DateOnly Date, long From, long To)> Days,
    string? Channel, string? Template)
{
    public const int MaxDays = 400;

    public static StatsRequest Of(StatsQuery query, DateTimeOffset now)
    {
        var name = Validate.RequiredText(query.TimeZone, "tz", 64);
        TimeZoneInfo zone;
        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(name);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new ArgumentException($"tz: '{name}' is not a time zone Parley knows; give an IANA name such as Europe/Berlin.", "tz");
        }
        var channel = query.Channel is null ? null : Validate.Slug(query.Channel, "channel");
        var template = Validate.Text(query.Template, "template", 128, allowEmpty: false);

        long from, to;
        if (query.Since is null && query.Until is null)
        {
            var days = query.Days ?? 30;
            if (days is < 1 or > MaxDays)
                throw new ArgumentException($"days must be 1 to {MaxDays}; got {days.ToString(CultureInfo.InvariantCulture)}.", "days");
            var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
            from = StatsCells.Minute(StartOf(zone, today.AddDays(1 - days)));
            to = StatsCells.Minute(StartOf(zone, today.AddDays(1)));
        }
        else
        {
            if (query.Days is not null) throw new ArgumentException("give days or since/until, not both.", "days");
            if (query.Since is not { } since) throw new ArgumentException("until needs since.", "since");
            var until = query.Until ?? now;
            // Widened to whole quarter hours, the finest cell (the answer says which window it covers).
            from = StatsCells.QuarterOf(since);
            to = StatsCells.QuarterOf(until);
            if (StatsCells.Time(to) < until) to += 15;
            if (to <= from) throw new ArgumentException("until must be after since.", "until");
            if (to - from > MaxDays * 1440L) throw new ArgumentException($"a window is at most {MaxDays} days.", "until");
        }
        return new StatsRequest(zone, name, from, to, LocalDays(zone, from, to), channel, template);
    }

    /// <summary>The first instant of a local date: midnight, or where a change of offset skips midnight, the first
    /// quarter hour after it; where midnight comes twice, the first.</summary>
    public static DateTimeOffset StartOf(TimeZoneInfo zone, DateOnly date)
    {
        var local = date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(local)) local = local.AddMinutes(15);
        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset).ToUniversalTime();
    }

    private static List<(DateOnly, long, long)> LocalDays(TimeZoneInfo zone, long from, long to)
    {
        var days = new List<(DateOnly, long, long)>();
        var date = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(StatsCells.Time(from), zone).DateTime);
        while (true)
        {
            var start = Math.Max(from, StatsCells.Minute(StartOf(zone, date)));
            var end = Math.Min(to, StatsCells.Minute(StartOf(zone, date.AddDays(1))));
            if (start >= to) break;
            if (end > start) days.Add((date, start, end));
            date = date.AddDays(1);
        }
        return days;
    }
}
