namespace Parley;

/// <summary>What Parley throws when it cannot do what was asked, other than a caller's mistake in the arguments (those
/// are <see cref="ArgumentException"/>s naming the field): an object that does not exist
/// (<see cref="ParleyNotFoundException"/>), a request that conflicts with the stored state
/// (<see cref="ParleyConflictException"/>), a database that cannot be reached now (<see cref="ParleyUnavailableException"/>,
/// the one that is <see cref="IsTransient"/>), or a failure Parley could not absorb (a schema it refuses, a write that
/// could not be committed). The message says what happened, to what, and what to do next.</summary>
public class ParleyException : Exception
{
    /// <summary>Whether the same call may succeed if repeated later, unchanged (the database was unavailable).
    /// Nothing was changed by the failed call either way.</summary>
    public virtual bool IsTransient => false;

    /// <summary>Creates the exception.</summary>
    public ParleyException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public ParleyException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception.</summary>
    public ParleyException() { }
}

/// <summary>The database cannot be reached or written right now and the write could not be spooled, or a read
/// cannot be answered because writes are waiting in the spool (HTTP 503 with <c>Retry-After</c>). Nothing was
/// changed; the same call can be repeated later.</summary>
public class ParleyUnavailableException : ParleyException
{
    /// <summary>Creates the exception.</summary>
    public ParleyUnavailableException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public ParleyUnavailableException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception.</summary>
    public ParleyUnavailableException() { }

    /// <summary>When to try again.</summary>
    public TimeSpan RetryAfter { get; init; } = TimeSpan.FromSeconds(5);

    /// <inheritdoc/>
    public override bool IsTransient => true;
}

/// <summary>The spool reached its configured size (<see cref="LedgerOptions.SpoolMaxBytes"/>) while the database was
/// unavailable: the write was refused and nothing was kept.</summary>
public sealed class SpoolFullException : ParleyUnavailableException
{
    /// <summary>Creates the exception.</summary>
    public SpoolFullException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public SpoolFullException() { }

    /// <summary>Creates the exception with its cause.</summary>
    public SpoolFullException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>A caller named a session or message that does not exist, or that belongs to another tenant (HTTP 404).
/// Nothing was changed.</summary>
public class ParleyNotFoundException : ParleyException
{
    /// <summary>Creates the exception for a parameter.</summary>
    public ParleyNotFoundException(string message, string? paramName) : base(message) => ParamName = paramName;

    /// <summary>Creates the exception.</summary>
    public ParleyNotFoundException() { }

    /// <summary>Creates the exception.</summary>
    public ParleyNotFoundException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public ParleyNotFoundException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>The wire name of the argument that named the missing object (<c>session_id</c>, <c>up_to</c> …).</summary>
    public string? ParamName { get; }
}

/// <summary>A request conflicts with the stored state: a cancel after the message left, a provider id that another
/// message already carries (HTTP 409). Nothing was changed.</summary>
public class ParleyConflictException : ParleyException
{
    /// <summary>Creates the exception.</summary>
    public ParleyConflictException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public ParleyConflictException() { }

    /// <summary>Creates the exception with its cause.</summary>
    public ParleyConflictException(string message, Exception innerException) : base(message, innerException) { }
}
