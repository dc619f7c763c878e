namespace Parley.Internal.Sessions;

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
