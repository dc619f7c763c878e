using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Parley.AspNetCore.Http;

/// <summary>Query string values, parsed with errors that name the parameter (a 400, never a 500).</summary>
internal sealed class QueryArgs(IQueryCollection query)
{
    public string? String(string name) => query.TryGetValue(name, out var v) && v.Count > 0 && !string.IsNullOrEmpty(v[0]) ? v[0] : null;

    public int Int(string name, int fallback) => String(name) is { } text
        ? int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n
            : throw new ArgumentException($"{name} must be a whole number; got '{Clip(text)}'.", name)
        : fallback;

    public DateTimeOffset? Time(string name) => String(name) is { } text
        ? DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t
            : throw new ArgumentException($"{name} must be an RFC 3339 time such as 2026-11-23T10:15:30Z; got '{Clip(text)}'.", name)
        : null;

    public T? Enum<T>(string name) where T : struct, Enum
    {
        if (String(name) is not { } text) return null;
        foreach (var value in System.Enum.GetValues<T>())
        {
            if (System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString()) == text) return value;
        }
        var names = string.Join(", ", System.Enum.GetValues<T>().Select(v => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(v.ToString())));
        throw new ArgumentException($"{name} must be one of {names}; got '{Clip(text)}'.", name);
    }

    private static string Clip(string s) => s.Length <= 64 ? s : s[..64] + "…";
}
