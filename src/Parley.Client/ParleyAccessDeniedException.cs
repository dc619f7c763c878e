namespace Parley.Client;

/// <summary>The server refused the caller (docs/http-api.md, "Access"): 401 when keys are on and the request had no
/// valid key (none given, mistyped, or revoked); 403 for a tenant key on a system route. Nothing was changed.</summary>
public sealed class ParleyAccessDeniedException : ParleyProblemException
{
    /// <summary>Creates the exception.</summary>
    public ParleyAccessDeniedException() { }

    /// <summary>Creates the exception.</summary>
    public ParleyAccessDeniedException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public ParleyAccessDeniedException(string message, Exception innerException) : base(message, innerException) { }
}
