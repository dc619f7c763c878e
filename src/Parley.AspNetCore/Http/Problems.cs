using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Parley.AspNetCore.Http;

/// <summary>RFC 7807 problem+json for every error (docs/http-api.md, "Errors"): bad input is a 4xx naming the field,
/// never a 500.</summary>
internal static class Problems
{
    public static IResult For(Exception e) => e switch
    {
        ParleyNotFoundException nf => Problem(404, "Not found", nf.Message),
        ParleyConflictException c => Problem(409, "Conflict", c.Message),
        ArgumentException a => Validation(a.ParamName ?? "body", Plain(a)),
        JsonException j => Validation(Field(j.Path), JsonMessage(j)),
        InvalidOperationException { InnerException: JsonException j } => Validation(Field(j.Path), JsonMessage(j)),
        BadHttpRequestException b when b.StatusCode == 413 => Problem(413, "Body too large", b.Message),
        BadHttpRequestException b => Problem(b.StatusCode, "Bad request", b.Message),
        ParleyException p => Problem(503, "Unavailable", p.Message),
        _ => Problem(500, "Internal error", "Parley failed unexpectedly; the error is in the server log."),
    };

    public static IResult Problem(int status, string title, string detail, IDictionary<string, string[]>? errors = null) =>
        Results.Json(Body(status, title, detail, errors), ParleyJson.Options, "application/problem+json", status);

    public static IResult Validation(string field, string message) =>
        Problem(400, "Invalid request", $"{field}: {message}", new Dictionary<string, string[]> { [field] = [message] });

    public static IResult NotFound(string what) => Problem(404, "Not found", what);

    /// <summary>The problem object itself, for embedding (one failed report of a batch).</summary>
    public static Dictionary<string, object?> Body(int status, string title, string detail, IDictionary<string, string[]>? errors = null)
    {
        var body = new Dictionary<string, object?>
        {
            ["type"] = $"https://parley.dev/problems/{status}",
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
        };
        if (errors is not null) body["errors"] = errors;
        return body;
    }

    public static Dictionary<string, object?> BodyFor(Exception e) => e switch
    {
        ParleyNotFoundException nf => Body(404, "Not found", nf.Message),
        ParleyConflictException c => Body(409, "Conflict", c.Message),
        ArgumentException a => Body(400, "Invalid request", Plain(a), new Dictionary<string, string[]> { [a.ParamName ?? "body"] = [Plain(a)] }),
        JsonException j => Body(400, "Invalid request", JsonMessage(j), new Dictionary<string, string[]> { [Field(j.Path)] = [JsonMessage(j)] }),
        _ => Body(500, "Internal error", "Parley failed unexpectedly."),
    };

    private static string Plain(ArgumentException e)
    {
        var message = e is ArgumentOutOfRangeException ? e.Message.Split(Environment.NewLine)[0] : e.Message;
        return e.ParamName is null ? message : message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
    }

    /// <summary><c>$.messages[3].channel</c> becomes <c>messages[3].channel</c>.</summary>
    private static string Field(string? path) => string.IsNullOrEmpty(path) || path == "$" ? "body" : path.TrimStart('$', '.');

    private static string JsonMessage(JsonException e)
    {
        var m = e.Message;
        // System.Text.Json names .NET types; say it in the API's terms instead.
        if (m.Contains("could not be mapped to any .NET member", StringComparison.Ordinal)) return "is not a field of this request (see /openapi/v1.json).";
        if (m.Contains("could not be converted to", StringComparison.Ordinal)) return "has the wrong type, or a value that is not one of the allowed names.";
        if (m.Contains("missing required properties", StringComparison.Ordinal)) return "a required field is missing: " + m[(m.IndexOf("properties", StringComparison.Ordinal) + 10)..].Trim(' ', ':', '.', '\'', '\n');
        // System.Text.Json appends its own location; the field already says where.
        var cut = m.IndexOf(" Path: ", StringComparison.Ordinal);
        return cut > 0 ? m[..cut] : m;
    }
}
