using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Parley.Internal;

/// <summary>Field checks shared by every way in. Each failure is an <see cref="ArgumentException"/> whose
/// <see cref="ArgumentException.ParamName"/> is the field's wire name, so the server can report it per field.</summary>
internal static partial class Validate
{
    public const int MaxBatch = 1000;
    public const int MaxContentBytes = 1024 * 1024;
    public const int MaxJsonChars = 64 * 1024;

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,64}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,31}$")]
    private static partial Regex SlugPattern();

    public static string Id(string? value, string field)
    {
        if (value is null || !IdPattern().IsMatch(value))
            throw new ArgumentException($"{field} must be 1–64 characters of A–Z, a–z, 0–9, '.', '_', ':' or '-'.", field);
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

    public static string? Json(JsonObject? value, string field)
    {
        if (value is null) return null;
        var json = value.ToJsonString();
        if (json.Length > MaxJsonChars)
            throw new ArgumentException($"{field} must serialize to at most {MaxJsonChars} characters.", field);
        return json;
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
