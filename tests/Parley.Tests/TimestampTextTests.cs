using Parley.Internal;

namespace Parley.Tests;

/// <summary>SQLite keeps times as fixed-width UTC text; reading it back digit by digit gives what the BCL's exact
/// parse gives, and text of any other shape is refused as the BCL refuses it.</summary>
public class TimestampTextTests
{
    [Fact]
    public void stored_text_reads_back_as_the_time_it_was_written_from()
    {
        var random = new Random(16);
        var times = new List<DateTimeOffset>
        {
            DateTimeOffset.MinValue, DateTimeOffset.MaxValue, new(2024, 2, 29, 23, 59, 59, 999, TimeSpan.Zero), new(2026, 12, 2, 4, 5, 6, 7, TimeSpan.FromHours(5)),
        };
        for (var i = 0; i < 1000; i++) times.Add(new DateTimeOffset(random.NextInt64(DateTimeOffset.MinValue.Ticks, DateTimeOffset.MaxValue.Ticks), TimeSpan.Zero));
        foreach (var t in times)
        {
            var text = Timestamps.ToText(Timestamps.Truncate(t));
            var bcl = DateTimeOffset.ParseExact(text, Timestamps.Format, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal);
            var parsed = Timestamps.Parse(text);
            Assert.Equal(bcl, parsed);
            Assert.Equal(TimeSpan.Zero, parsed.Offset);
            Assert.Equal(Timestamps.Truncate(t), parsed);
        }
    }

    [Theory]
    [InlineData("2026-12-02T04:05:06.007")]
    [InlineData("2026-12-02T04:05:06.007+00:00")]
    [InlineData("2026-13-02T04:05:06.007Z")]
    [InlineData("2026-02-30T04:05:06.007Z")]
    [InlineData("2026-12-02T24:05:06.007Z")]
    [InlineData("2026-12-02T04:60:06.007Z")]
    [InlineData("0000-12-02T04:05:06.007Z")]
    [InlineData("2026-12-02T04:05:0x.007Z")]
    [InlineData("2026-12-02 04:05:06.007Z")]
    [InlineData("")]
    public void text_of_another_shape_is_refused(string text)
    {
        Assert.Throws<FormatException>(() => Timestamps.Parse(text));
    }
}
