using Parley.Internal.Lifecycle;

namespace Parley.Internal;

/// <summary>A session as stored, including the summary counters and read markers.</summary>
internal sealed class SessionRow
{
    public required string Id;
    public required string Kind;
    public string? Title;
    public string? Tenant;
    /// <summary>The namespace of the session's id (and of its messages' ids): the tenant, or <c>""</c> for none.</summary>
    public string TenantKey => Tenant ?? "";
    public string? UserAccount;
    public SessionStatus Status;
    public DateTimeOffset StartedAt;
    public DateTimeOffset? EndedAt;
    public DateTimeOffset UpdatedAt;
    public string? MetadataJson;
    public long MessageCount;
    public DateTimeOffset? FirstMessageAt;
    public DateTimeOffset? LastMessageAt;
    /// <summary>The position of the session's latest message; each message takes the next one.</summary>
    public long LastSeq;
    public long AgentReadSeq;
    public long UserReadSeq;
    public long UnreadForAgent;
    public long UnreadForUser;
}

/// <summary>A message as stored.</summary>
internal sealed class MessageRow
{
    public required string Id;
    public required string SessionId;
    /// <summary>The session's <see cref="SessionRow.TenantKey"/>.</summary>
    public string TenantKey = "";
    public long SessionSeq;
    public string? IdempotencyKey;
    public Direction Direction;
    public SenderType SenderType;
    public string? SenderId;
    public string? SenderName;
    public required string Channel;
    public string? Recipient;
    public string? Template;
    public string? Subject;
    public required string Content;
    public DeliveryState Delivery;
    public string? ProviderMessageId;
    public string? MetadataJson;
    public DateTimeOffset CreatedAt;
    public DateTimeOffset UpdatedAt;

    public MessageRow Copy() => (MessageRow)MemberwiseClone();
}

/// <summary>A status report as stored.</summary>
internal sealed class EventRow
{
    public long Id;
    public required string MessageId;
    public string TenantKey = "";
    public MessageStatus Status;
    public DateTimeOffset OccurredAt;
    public DateTimeOffset RecordedAt;
    public required string Source;
    public string? ErrorCode;
    public string? ErrorMessage;
    public string? DetailJson;
    public ReportOutcome Outcome;
}

/// <summary>A report waiting for a message with its provider id (docs/lifecycle.md, rule 9).</summary>
internal sealed class ParkedRow
{
    public long Id;
    public required string ProviderMessageId;
    public string? Channel;
    /// <summary>The tenant key of the caller that reported it; null when an unscoped caller did (any tenant's message
    /// takes it).</summary>
    public string? TenantKey;
    public MessageStatus Status;
    public DateTimeOffset OccurredAt;
    public DateTimeOffset ReceivedAt;
    public required string Source;
    public string? ErrorCode;
    public string? ErrorMessage;
    public string? DetailJson;
}

/// <summary>Which senders each reader reads (docs/lifecycle.md, "Read markers").</summary>
internal static class Readers
{
    public static bool Reads(Reader reader, SenderType sender) =>
        reader == Reader.Agent ? sender == SenderType.User : sender != SenderType.User;

    /// <summary>The reader whose marker counts this sender's messages as unread.</summary>
    public static Reader ReaderOf(SenderType sender) => sender == SenderType.User ? Reader.Agent : Reader.User;
}
