using System.Text.Json.Nodes;

namespace Parley;

/// <summary>A stored message with its delivery state.</summary>
public sealed record Message
{
    /// <summary>ULID unless the client gave an id.</summary>
    public required string Id { get; init; }
    /// <summary>The session it belongs to.</summary>
    public required string SessionId { get; init; }
    /// <summary>Client key that makes retries safe, unique per session.</summary>
    public string? IdempotencyKey { get; init; }
    /// <summary>Outbound or inbound.</summary>
    public Direction Direction { get; init; }
    /// <summary>Who wrote it.</summary>
    public SenderType SenderType { get; init; }
    /// <summary>The sender's id in the application.</summary>
    public string? SenderId { get; init; }
    /// <summary>The sender's display name.</summary>
    public string? SenderName { get; init; }
    /// <summary>Lowercase slug: <c>email</c>, <c>sms</c>, <c>whatsapp</c>, <c>web</c>, <c>push</c> …</summary>
    public required string Channel { get; init; }
    /// <summary>Address, phone number or handle.</summary>
    public string? Recipient { get; init; }
    /// <summary>Template name.</summary>
    public string? Template { get; init; }
    /// <summary>Subject line.</summary>
    public string? Subject { get; init; }
    /// <summary>The body.</summary>
    public required string Content { get; init; }
    /// <summary>Current status.</summary>
    public MessageStatus Status { get; init; }
    /// <summary>Earliest sent report (or implied by a delivered or read report).</summary>
    public DateTimeOffset? SentAt { get; init; }
    /// <summary>Earliest delivered report (or implied by a read report).</summary>
    public DateTimeOffset? DeliveredAt { get; init; }
    /// <summary>Earliest read report.</summary>
    public DateTimeOffset? ReadAt { get; init; }
    /// <summary>Earliest failed report.</summary>
    public DateTimeOffset? FailedAt { get; init; }
    /// <summary>When it was cancelled.</summary>
    public DateTimeOffset? CancelledAt { get; init; }
    /// <summary>True when <see cref="DeliveredAt"/> came from a read report.</summary>
    public bool DeliveredImplied { get; init; }
    /// <summary>The provider's id, unique per channel.</summary>
    public string? ProviderMessageId { get; init; }
    /// <summary>From the latest failure report.</summary>
    public string? ErrorCode { get; init; }
    /// <summary>From the latest failure report.</summary>
    public string? ErrorMessage { get; init; }
    /// <summary>Application data.</summary>
    public JsonObject? Metadata { get; init; }
    /// <summary>When it was logged (or the time the client gave).</summary>
    public DateTimeOffset CreatedAt { get; init; }
    /// <summary>Last change.</summary>
    public DateTimeOffset UpdatedAt { get; init; }
    /// <summary>The user's read marker has passed this agent, AI or system message.</summary>
    public bool ReadByUser { get; init; }
    /// <summary>The agent's read marker has passed this user message.</summary>
    public bool ReadByAgent { get; init; }
    /// <summary>Status reports, oldest first; only filled by <see cref="Ledger.GetMessageAsync"/>.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<MessageEvent>? Events { get; init; }
}

/// <summary>A stored status report.</summary>
public sealed record MessageEvent
{
    /// <summary>Sequence number of the event.</summary>
    public long Id { get; init; }
    /// <summary>The message reported on.</summary>
    public required string MessageId { get; init; }
    /// <summary>The reported status.</summary>
    public MessageStatus Status { get; init; }
    /// <summary>When the provider says it happened.</summary>
    public DateTimeOffset OccurredAt { get; init; }
    /// <summary>When Parley stored it.</summary>
    public DateTimeOffset RecordedAt { get; init; }
    /// <summary><c>api</c>, <c>library</c>, <c>webhook</c>, <c>read_marker</c>, <c>replay</c> …</summary>
    public required string Source { get; init; }
    /// <summary>Provider error code.</summary>
    public string? ErrorCode { get; init; }
    /// <summary>Provider error text.</summary>
    public string? ErrorMessage { get; init; }
    /// <summary>Provider payload.</summary>
    public JsonObject? Detail { get; init; }
    /// <summary>Whether it moved the status.</summary>
    public bool Applied { get; init; }
    /// <summary>Applied or stale (duplicates are not stored).</summary>
    public ReportOutcome Outcome { get; init; }
}
