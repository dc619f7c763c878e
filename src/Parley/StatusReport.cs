using System.Text.Json.Nodes;

namespace Parley;

/// <summary>A delivery status report from a provider, or a cancel command.</summary>
public sealed record StatusReport
{
    /// <summary>The reported status; <see cref="MessageStatus.Cancelled"/> is the cancel command.</summary>
    public required MessageStatus Status { get; init; }
    /// <summary>When it happened; defaults to the time received.</summary>
    public DateTimeOffset? At { get; init; }
    /// <summary>Gives the message its provider id (or, in a batch, finds the message by it).</summary>
    public string? ProviderMessageId { get; init; }
    /// <summary>Narrows a provider id lookup to one channel.</summary>
    public string? Channel { get; init; }
    /// <summary>Provider error code (failures).</summary>
    public string? ErrorCode { get; init; }
    /// <summary>Provider error text (failures).</summary>
    public string? ErrorMessage { get; init; }
    /// <summary>Provider payload.</summary>
    public JsonObject? Detail { get; init; }
    /// <summary>Recorded on the event; default <c>library</c>.</summary>
    public string? Source { get; init; }
}

/// <summary>The message after a report, and what the report did. <see cref="Message"/> is null only when the report
/// was spooled (<see cref="ReportOutcome.Spooled"/>): the message as it will be is known once it is applied.</summary>
public sealed record StatusReportResult(Message? Message, ReportOutcome Outcome);

/// <summary>One report of a batch, naming its message by <see cref="MessageId"/> or by the report's
/// <see cref="StatusReport.ProviderMessageId"/>.</summary>
public sealed record KeyedStatusReport
{
    /// <summary>The message; when absent, the report's provider id finds it.</summary>
    public string? MessageId { get; init; }
    /// <summary>The report.</summary>
    public required StatusReport Report { get; init; }
}

/// <summary>What one report of a batch did. Exactly one of <see cref="Outcome"/>, <see cref="Parked"/> and
/// <see cref="Error"/> tells the story.</summary>
public sealed record BatchReportResult
{
    /// <summary>Applied, stale or duplicate; null when parked or failed.</summary>
    public ReportOutcome? Outcome { get; init; }
    /// <summary>The message reported on, when known.</summary>
    public string? MessageId { get; init; }
    /// <summary>No message carries the provider id yet: kept and applied when one does.</summary>
    public bool Parked { get; init; }
    /// <summary>Why this report failed (the others still applied).</summary>
    public Exception? Error { get; init; }
}

/// <summary>Moves a session's read marker forward.</summary>
public sealed record ReadMarker
{
    /// <summary>Whose marker.</summary>
    public required Reader Reader { get; init; }
    /// <summary>The last message read; default the session's latest message.</summary>
    public string? UpTo { get; init; }
    /// <summary>When it was read; default now.</summary>
    public DateTimeOffset? At { get; init; }
}

/// <summary>Something Parley did or recovered from.</summary>
public sealed record SystemEvent
{
    /// <summary>Sequence number.</summary>
    public long Id { get; init; }
    /// <summary>Severity.</summary>
    public SystemEventLevel Level { get; init; }
    /// <summary>The part of Parley that wrote it (<c>schema</c>, <c>writer</c>, <c>parking</c> …).</summary>
    public required string Source { get; init; }
    /// <summary>What happened, a short snake_case name.</summary>
    public required string Event { get; init; }
    /// <summary>Particulars.</summary>
    public JsonObject? Detail { get; init; }
    /// <summary>When.</summary>
    public DateTimeOffset At { get; init; }
}
