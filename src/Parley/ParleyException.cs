namespace Parley;

/// <summary>An infrastructure failure Parley could not absorb (the database cannot be written and nothing else
/// can take the write). The message says what happened, to what, and what to do next.</summary>
public class ParleyException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ParleyException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public ParleyException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception.</summary>
    public ParleyException() { }
}

/// <summary>A caller named a session or message that does not exist (HTTP 404).</summary>
public class ParleyNotFoundException : ArgumentException
{
    /// <summary>Creates the exception for a parameter.</summary>
    public ParleyNotFoundException(string message, string? paramName) : base(message, paramName) { }

    /// <summary>Creates the exception.</summary>
    public ParleyNotFoundException() { }

    /// <summary>Creates the exception.</summary>
    public ParleyNotFoundException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public ParleyNotFoundException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>A request conflicts with the stored state: a cancel after the message left, a provider id that another
/// message already carries (HTTP 409). Nothing was changed.</summary>
public class ParleyConflictException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public ParleyConflictException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public ParleyConflictException() { }

    /// <summary>Creates the exception with its cause.</summary>
    public ParleyConflictException(string message, Exception innerException) : base(message, innerException) { }
}
