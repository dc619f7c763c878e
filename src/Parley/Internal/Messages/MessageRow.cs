using Parley.Internal.Reports;
using Parley.Internal.Sessions;

namespace Parley.Internal.Messages;

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
