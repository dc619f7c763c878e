using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Parley.AspNetCore.Http;

/// <summary>docs/http-api.md, "Conventions": snake_case names, enums as their wire names, RFC 3339 UTC timestamps with
/// milliseconds. Unknown fields are refused (a typo such as <c>chanel</c> must not be silently dropped).</summary>
public static class ParleyJson
{
    /// <summary>The serializer options of Parley's HTTP API, for writing Parley's objects (<see cref="Session"/>,
    /// <see cref="Message"/> …) exactly as the API does, or reading its answers. Read-only.</summary>
    public static JsonSerializerOptions Options { get; } = Create();

    /// <summary>202 Accepted with the body the write would have had and <c>"spooled": true</c> (docs/http-api.md,
    /// "Spooled writes"): the database was unavailable and the write waits in the spool, on disk.</summary>
    internal static Microsoft.AspNetCore.Http.IResult Spooled(object body)
    {
        var node = JsonSerializer.SerializeToNode(body, body.GetType(), Options)!.AsObject();
        node["spooled"] = true;
        return Microsoft.AspNetCore.Http.Results.Json(node, Options, statusCode: 202);
    }

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            NumberHandling = JsonNumberHandling.Strict,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
        options.Converters.Add(new TimestampConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>How every time is written (docs/http-api.md, "Conventions"): UTC to the millisecond, which sorts in
    /// time order.</summary>
    public const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    /// <summary>Writes <c>2026-11-23T10:15:30.123Z</c>; reads any RFC 3339 time with an offset.</summary>
    private sealed class TimestampConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var text = reader.GetString();
            if (text is null || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces, out var value)
                || !(text.EndsWith('Z') || text.EndsWith('z') || text.LastIndexOfAny(['+', '-']) > 10))
                throw new JsonException($"'{text}' is not an RFC 3339 time with an offset, e.g. 2026-11-23T10:15:30.123Z.");
            return value;
        }

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture));
    }
}
