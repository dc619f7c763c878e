using System.Net.Http.Json;
using System.Text.Json;

namespace Parley.Client.Internal;

/// <summary>An RFC 7807 problem (docs/http-api.md, "Errors"): every error answer, and a failed report of a batch.</summary>
internal sealed record ProblemBody(string? Type, string? Title, int? Status, string? Detail, IReadOnlyDictionary<string, string[]>? Errors)
{
    /// <summary>The exception for an answer that is not a success: the problem's type by its status, with its title and
    /// detail in the message. A body that is not a problem (a proxy's page, Kestrel's empty 400) still gives one.</summary>
    public static async Task<ParleyException> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        ProblemBody? problem = null;
        if (IsJson(response))
        {
            try
            {
                problem = await response.Content.ReadFromJsonAsync(ClientJson.Default.ProblemBody, cancellationToken).ConfigureAwait(false);
            }
            catch (JsonException)
            {
                // Not a problem object after all: the status alone says what happened.
            }
        }
        var retry = response.Headers.RetryAfter;
        var retryAfter = retry?.Delta ?? (retry?.Date is { } date ? date - DateTimeOffset.UtcNow : null);
        var request = response.RequestMessage is { } r ? $"{r.Method} {r.RequestUri?.AbsolutePath}" : null;
        return (problem ?? new ProblemBody(null, response.ReasonPhrase, null, null, null)).ToException((int)response.StatusCode, retryAfter, request);
    }

    /// <summary>Whether the answer is a JSON problem, so that a 404 is Parley's "no such object" rather than a host
    /// that has no Parley at that address.</summary>
    public static bool IsJson(HttpResponseMessage response) =>
        response.Content.Headers.ContentType?.MediaType is "application/problem+json" or "application/json";

    public ParleyException ToException(int status, TimeSpan? retryAfter = null, string? request = null)
    {
        var title = string.IsNullOrEmpty(Title) ? $"HTTP {status}" : Title;
        var message = $"{title} ({status}{(request is null ? "" : ", " + request)})" + (string.IsNullOrEmpty(Detail) ? "." : ": " + Detail);
        return status switch
        {
            400 => new ParleyBadRequestException(message)
            {
                StatusCode = status, ProblemType = Type, Title = Title, Detail = Detail,
                Errors = Errors?.ToDictionary(e => e.Key, e => (IReadOnlyList<string>)e.Value, StringComparer.Ordinal)
                         ?? new Dictionary<string, IReadOnlyList<string>>(),
            },
            401 or 403 => new ParleyAccessDeniedException(message) { StatusCode = status, ProblemType = Type, Title = Title, Detail = Detail },
            404 => new ParleyNotFoundException(message),
            409 => new ParleyConflictException(message),
            503 => retryAfter is { } wait && wait > TimeSpan.Zero
                ? new ParleyUnavailableException(message) { RetryAfter = wait }
                : new ParleyUnavailableException(message),
            _ => new ParleyProblemException(message) { StatusCode = status, ProblemType = Type, Title = Title, Detail = Detail },
        };
    }
}
