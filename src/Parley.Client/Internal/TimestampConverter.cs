using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Parley.Client.Internal;

/// <summary>Times as the server writes them (docs/http-api.md, "Conventions"): <c>2026-11-23T10:15:30.123Z</c>, UTC to
/// the millisecond; any RFC 3339 time with an offset is read.</summary>
internal sealed class TimestampConverter : JsonConverter<DateTimeOffset>
{
    private const string Format = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    public static string Text(DateTimeOffset value) => value.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        if (text is null || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var value))
            throw new JsonException($"'{text}' is not an RFC 3339 time, e.g. 2026-11-23T10:15:30.123Z.");
        return value;
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(Text(value));
}
