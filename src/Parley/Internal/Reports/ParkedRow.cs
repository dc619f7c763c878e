namespace Parley.Internal.Reports;

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
