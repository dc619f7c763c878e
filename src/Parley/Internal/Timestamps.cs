using System.Globalization;

namespace Parley.Internal;

/// <summary>Parley keeps times in UTC to the millisecond (docs/http-api.md, "Conventions"). Every time is truncated on
/// the way in, so that a report read back compares equal to the same report sent again (duplicate detection,
/// docs/lifecycle.md, rule 6).</summary>
internal static class Timestamps
{
    public const string Format = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    public static DateTimeOffset Truncate(DateTimeOffset t)
    {
        var utc = t.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
    }

    public static DateTimeOffset Now(TimeProvider clock) => Truncate(clock.GetUtcNow());

    /// <summary>The fixed-width text SQLite stores; it sorts in time order.</summary>
    public static string ToText(DateTimeOffset t) => t.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);

    public static string? ToText(DateTimeOffset? t) => t is { } v ? ToText(v) : null;

    public static DateTimeOffset Parse(string s) =>
        DateTimeOffset.ParseExact(s, Format, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    public static DateTimeOffset? ParseOrNull(string? s) => s is null ? null : Parse(s);

    public static DateTimeOffset? Min(DateTimeOffset? a, DateTimeOffset b) => a is { } v && v <= b ? v : b;
}
