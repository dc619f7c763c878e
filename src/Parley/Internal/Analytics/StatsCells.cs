namespace Parley.Internal.Analytics;

/// <summary>The time cells rollups are kept in (docs/analytics.md, "How the figures are kept"). A cell is named by its
/// grain and its start in whole minutes since the Unix epoch (UTC). Every change is added to the quarter hour, hour and
/// day (UTC) holding the message's <c>created_at</c>, so a window of whole quarter hours — every local day of every
/// IANA zone since 1990 is one — is answered exactly from the fewest cells: 64- and 8-day blocks and days in the
/// middle, quarter days, hours and quarter hours at the edges. Each grain divides the next, counted from the
/// epoch.</summary>
internal static class StatsCells
{
    /// <summary>The grains, finest first: their length in minutes.</summary>
    public static ReadOnlySpan<int> Minutes => [15, 60, 6 * 60, 1440, 8 * 1440, 64 * 1440];

    public const int Grains = 6;

    /// <summary>The start of the quarter hour holding <paramref name="t"/>, in minutes since the epoch.</summary>
    public static long QuarterOf(DateTimeOffset t)
    {
        var minutes = Math.DivRem(t.ToUnixTimeMilliseconds(), 60_000L, out var rem);
        if (rem < 0) minutes--;
        return minutes - Mod(minutes, 15);
    }

    /// <summary>The start of the cell of grain <paramref name="grain"/> that holds the minute <paramref name="minute"/>.</summary>
    public static long CellOf(int grain, long minute) => minute - Mod(minute, Minutes[grain]);

    public static DateTimeOffset Time(long minute) => DateTimeOffset.FromUnixTimeMilliseconds(minute * 60_000L);

    public static long Minute(DateTimeOffset t) => t.ToUnixTimeMilliseconds() / 60_000L;

    /// <summary>The cells that make up [<paramref name="from"/>, <paramref name="to"/>) (both whole quarter hours,
    /// in minutes): the coarsest cell that starts at each point and fits, walking forward.</summary>
    public static IEnumerable<(int Grain, long Cell)> Cover(long from, long to)
    {
        var at = from;
        while (at < to)
        {
            var grain = Grains - 1;
            while (grain > 0 && (Mod(at, Minutes[grain]) != 0 || at + Minutes[grain] > to)) grain--;
            yield return (grain, at);
            at += Minutes[grain];
        }
    }

    private static long Mod(long value, long by) => ((value % by) + by) % by;
}
