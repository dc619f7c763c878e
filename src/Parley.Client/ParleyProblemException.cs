namespace Parley.Client;

/// <summary>The server answered with an error that has no more particular exception: 405, 413 (a body over the route's
/// limit), 415, 421, 500 and the like (docs/http-api.md, "Errors"). The answers Parley's own exceptions describe are
/// those exceptions: 404 <see cref="ParleyNotFoundException"/>, 409 <see cref="ParleyConflictException"/>, 503
/// <see cref="ParleyUnavailableException"/>; 400 is <see cref="ParleyBadRequestException"/>, 401 and 403
/// <see cref="ParleyAccessDeniedException"/>. All of them are <see cref="ParleyException"/>s. The message holds the
/// problem's title and detail.</summary>
public class ParleyProblemException : ParleyException
{
    /// <summary>Creates the exception.</summary>
    public ParleyProblemException() { }

    /// <summary>Creates the exception.</summary>
    public ParleyProblemException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public ParleyProblemException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>The HTTP status of the answer.</summary>
    public int StatusCode { get; init; }

    /// <summary>The problem's <c>type</c>, such as <c>https://parley.dev/problems/413</c>.</summary>
    public string? ProblemType { get; init; }

    /// <summary>The problem's <c>title</c>, such as <c>Body too large</c>.</summary>
    public string? Title { get; init; }

    /// <summary>The problem's <c>detail</c>: what happened, to what.</summary>
    public string? Detail { get; init; }
}
