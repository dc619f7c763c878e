namespace Parley.Client;

/// <summary>The server refused the request's input (HTTP 400) and changed nothing; <see cref="Errors"/> names each
/// bad field by its wire name, with its position in a batch (<c>messages[3].channel</c>). Where the embedded
/// <see cref="Ledger"/> throws an <see cref="ArgumentException"/> naming the field, the client throws this.</summary>
public sealed class ParleyBadRequestException : ParleyProblemException
{
    /// <summary>Creates the exception.</summary>
    public ParleyBadRequestException() { }

    /// <summary>Creates the exception.</summary>
    public ParleyBadRequestException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public ParleyBadRequestException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Field (wire name) → what is wrong with it: the problem's <c>errors</c>.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Errors { get; init; } = new Dictionary<string, IReadOnlyList<string>>();
}
