using System.Text.Json;
using System.Text.Json.Serialization;

namespace Parley.Client.Internal;

/// <summary>An enum as its snake_case name (<c>pending</c>, <c>live_agent</c>), never a number: the server refuses
/// integers. A closed type per enum, since the source generator needs a parameterless constructor.</summary>
internal sealed class WireEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false)
    where TEnum : struct, Enum
{
    /// <summary>The wire name of a value, for query strings.</summary>
    public static string Name(TEnum value) => JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());
}
