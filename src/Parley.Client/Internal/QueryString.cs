using System.Globalization;
using System.Text;

namespace Parley.Client.Internal;

/// <summary>A query string built from the values given (docs/http-api.md: parameters in snake_case, times in UTC).</summary>
internal sealed class QueryString
{
    private readonly StringBuilder _text = new();

    public QueryString Add(string name, string? value)
    {
        if (value is null) return this;
        _text.Append(_text.Length == 0 ? '?' : '&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
        return this;
    }

    public QueryString Add(string name, int? value) => Add(name, value?.ToString(CultureInfo.InvariantCulture));

    public QueryString Add(string name, DateTimeOffset? value) => Add(name, value is { } t ? TimestampConverter.Text(t) : null);

    public QueryString Add<TEnum>(string name, TEnum? value) where TEnum : struct, Enum =>
        Add(name, value is { } v ? WireEnumConverter<TEnum>.Name(v) : null);

    public override string ToString() => _text.ToString();
}
