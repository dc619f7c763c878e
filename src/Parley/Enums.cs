namespace Parley;

/// <summary>A message's delivery status. The lifecycle rules (docs/lifecycle.md) order them by rank.</summary>
public enum MessageStatus
{
    /// <summary>Logged, not yet handed to a provider.</summary>
    Pending,
    /// <summary>Being handed to a provider.</summary>
    Sending,
    /// <summary>Accepted by the provider.</summary>
    Sent,
    /// <summary>The provider reported a failure.</summary>
    Failed,
    /// <summary>Delivered to the recipient.</summary>
    Delivered,
    /// <summary>Read by the recipient.</summary>
    Read,
    /// <summary>Cancelled before it left (a command, not a report).</summary>
    Cancelled,
}

/// <summary>Which way a message travels.</summary>
public enum Direction
{
    /// <summary>From the application to a recipient.</summary>
    Outbound,
    /// <summary>From a user to the application.</summary>
    Inbound,
}

/// <summary>Who wrote a message.</summary>
public enum SenderType
{
    /// <summary>The end user.</summary>
    User,
    /// <summary>A human agent.</summary>
    Agent,
    /// <summary>An AI assistant.</summary>
    Ai,
    /// <summary>The application itself (notifications, bulk sends).</summary>
    System,
}

/// <summary>Whether a session still takes messages.</summary>
public enum SessionStatus
{
    /// <summary>Open.</summary>
    Active,
    /// <summary>Ended by <see cref="Ledger.EndSessionAsync"/>.</summary>
    Ended,
}

/// <summary>What a status report did (docs/lifecycle.md, "Statuses").</summary>
public enum ReportOutcome
{
    /// <summary>The report moved the message's status forward.</summary>
    Applied,
    /// <summary>The report was stored but changed no status (a lower rank, or after cancel).</summary>
    Stale,
    /// <summary>An equal report was already stored; nothing was added.</summary>
    Duplicate,
    /// <summary>The database was unavailable: the report waits in the spool and is applied, by the same rules, when
    /// the database is back.</summary>
    Spooled,
}

/// <summary>The reader of a session's read marker (docs/lifecycle.md, "Read markers").</summary>
public enum Reader
{
    /// <summary>Agents (and AI) read what the user wrote.</summary>
    Agent,
    /// <summary>The user reads what agents, AI and the system wrote.</summary>
    User,
}

/// <summary>Severity of a system event.</summary>
public enum SystemEventLevel
{
    /// <summary>Routine: migrations, replays, maintenance.</summary>
    Info,
    /// <summary>Something Parley recovered from.</summary>
    Warning,
    /// <summary>Something that needs an operator.</summary>
    Error,
}
