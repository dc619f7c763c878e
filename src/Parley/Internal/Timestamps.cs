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

    /// <summary>Reads <see cref="ToText(DateTimeOffset)"/>'s text back. The fixed width is read digit by digit (measured in
    /// docs/benchmarks.md: a transcript page reads up to eight times a row); anything else goes to the BCL's exact
    /// parse, which throws <see cref="FormatException"/> as before.</summary>
    public static DateTimeOffset Parse(string s) => TryParseFixed(s, out var t) ? t :
        DateTimeOffset.ParseExact(s, Format, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    // yyyy-MM-ddTHH:mm:ss.fffZ
    private static bool TryParseFixed(ReadOnlySpan<char> s, out DateTimeOffset value)
    {
        value = default;
        if (s.Length != 24 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.' || s[23] != 'Z')
            return false;
        if (!Digits(s[..4], out var year) || !Digits(s.Slice(5, 2), out var month) || !Digits(s.Slice(8, 2), out var day) ||
            !Digits(s.Slice(11, 2), out var hour) || !Digits(s.Slice(14, 2), out var minute) || !Digits(s.Slice(17, 2), out var second) ||
            !Digits(s.Slice(20, 3), out var millisecond))
            return false;
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
            return false;
        value = new DateTimeOffset(year, month, day, hour, minute, second, millisecond, TimeSpan.Zero);
        return true;
    }

    private static bool Digits(ReadOnlySpan<char> s, out int value)
    {
        value = 0;
        foreach (var c in s)
        {
            var d = (uint)(c - '0');
            if (d > 9) return false;
            value = value * 10 + (int)d;
        }
        return true;
    }

    public static DateTimeOffset? ParseOrNull(string? s) => s is null ? null : Parse(s);

    public static DateTimeOffset? Min(DateTimeOffset? a, DateTimeOffset b) => a is { } v && v <= b ? v : b;
}
