using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Parley.Internal;

/// <summary>Field checks shared by every way in. Each failure is an <see cref="ArgumentException"/> whose
/// <see cref="ArgumentException.ParamName"/> is the field's wire name, so the server can report it per field.</summary>
internal static partial class Validate
{
    public const int MaxContentBytes = 1024 * 1024;
    public const int MaxJsonChars = 64 * 1024;

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,64}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,31}$")]
    private static partial Regex SlugPattern();

    public static string Id(string? value, string field)
    {
        // "." and ".." match the pattern but name no resource in a URL path (/sessions/.. is /), so they are refused.
        if (value is null || !IdPattern().IsMatch(value) || value is "." or "..")
            throw new ArgumentException($"{field} must be 1–64 characters of A–Z, a–z, 0–9, '.', '_', ':' or '-', and not '.' or '..'.", field);
        return value;
    }

    public static string Slug(string? value, string field)
    {
        if (value is null || !SlugPattern().IsMatch(value))
            throw new ArgumentException($"{field} must be a lowercase slug of 1–32 characters (a–z, 0–9, '_', '-'), starting with a letter or digit.", field);
        return value;
    }

    /// <summary>An optional free-text field: at most <paramref name="max"/> characters, well-formed Unicode.</summary>
    public static string? Text(string? value, string field, int max, bool allowEmpty = true)
    {
        if (value is null) return null;
        if (value.Length > max)
            throw new ArgumentException($"{field} must be at most {max} characters; got {value.Length}.", field);
        if (!allowEmpty && value.Length == 0)
            throw new ArgumentException($"{field} must not be empty.", field);
        WellFormed(value, field);
        return value;
    }

    public static string RequiredText(string? value, string field, int max) =>
        Text(value, field, max, allowEmpty: false) ?? throw new ArgumentException($"{field} is required.", field);

    public static string Content(string? value, string field)
    {
        if (value is null) throw new ArgumentException($"{field} is required (it may be empty).", field);
        if (value.Length > MaxContentBytes)
            throw new ArgumentException($"{field} must be at most 1 MiB of UTF-8.", field);
        WellFormed(value, field);
        var bytes = Encoding.UTF8.GetByteCount(value);
        if (bytes > MaxContentBytes)
            throw new ArgumentException($"{field} must be at most 1 MiB of UTF-8.", field);
        return value;
    }

    /// <summary>A JSON object field, serialized. One rule on every engine (docs/security.md): no duplicate keys, no
    /// NUL character and no lone surrogate in any key or string, every number a finite double — what PostgreSQL's
    /// <c>jsonb</c>, MySQL's <c>JSON</c> and SQLite's text all store and give back alike.</summary>
    public static string? Json(JsonObject? value, string field)
    {
        if (value is null) return null;
        try
        {
            // On the nodes, before serializing: the writer would quietly turn a lone surrogate into U+FFFD.
            CheckJson(value, field);
        }
        catch (InvalidOperationException)
        {
            // A parsed string holding an escaped lone surrogate ("\ud800") cannot be read as text.
            throw new ArgumentException($"{field} holds text that is not well-formed Unicode (a lone surrogate).", field);
        }
        catch (ArgumentException e) when (e.ParamName != field)
        {
            // A parsed object with a key given twice (walking it builds its dictionary, which refuses the second), or a
            // value JSON cannot spell (an infinite number).
            throw new ArgumentException($"{field} is not accepted: {e.Message}", field);
        }
        var json = value.ToJsonString();
        if (json.Length > MaxJsonChars)
            throw new ArgumentException($"{field} must serialize to at most {MaxJsonChars} characters.", field);
        return json;
    }

    private static void CheckJson(JsonNode? node, string field)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, child) in o)
                {
                    JsonString(key, field);
                    CheckJson(child, field);
                }
                break;
            case JsonArray a:
                foreach (var item in a) CheckJson(item, field);
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                JsonString(v.GetValue<string>(), field);
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.Number:
                // Its JSON text, whatever CLR type holds it (int, decimal, double, or the parsed text itself).
                var text = v.ToJsonString();
                if (!double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var number)
                    || !double.IsFinite(number))
                    throw new ArgumentException($"{field} holds the number {text}, outside what every engine stores (a finite double).", field);
                break;
        }
    }

    private static void JsonString(string text, string field)
    {
        if (text.Contains('\0', StringComparison.Ordinal))
            throw new ArgumentException($"{field} holds a NUL character (\\u0000), which PostgreSQL cannot store in JSON.", field);
        WellFormed(text, field);
    }

    public static T Defined<T>(T value, string field) where T : struct, Enum =>
        Enum.IsDefined(value) ? value : throw new ArgumentException($"{field} has no value {value}.", field);

    public static void Range(int value, int min, int max, string field)
    {
        if (value < min || value > max)
            throw new ArgumentOutOfRangeException(field, value, $"{field} must be between {min} and {max}.");
    }

    private static void WellFormed(string value, string field)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])) { i++; continue; }
            if (char.IsSurrogate(c) || c == '\0')
                throw new ArgumentException($"{field} is not well-formed text (a lone surrogate or a NUL character).", field);
        }
    }
}
