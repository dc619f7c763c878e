using System.Text.Json.Nodes;

namespace Parley;

/// <summary>A group of messages: a bulk-send run, a live-agent session, a chat conversation.</summary>
public sealed record Session
{
    /// <summary>Client-given id, or a generated ULID.</summary>
    public required string Id { get; init; }
    /// <summary>Free label such as <c>bulk_send</c>, <c>live_agent</c>, <c>ai_chat</c>; default <c>chat</c>.</summary>
    public required string Kind { get; init; }
    /// <summary>Optional title.</summary>
    public string? Title { get; init; }
    /// <summary>Owning tenant, when the application has several.</summary>
    public string? Tenant { get; init; }
    /// <summary>The end user's account in the application.</summary>
    public string? UserAccount { get; init; }
    /// <summary>Active or ended.</summary>
    public SessionStatus Status { get; init; }
    /// <summary>When the session started.</summary>
    public DateTimeOffset StartedAt { get; init; }
    /// <summary>When it ended, if it has.</summary>
    public DateTimeOffset? EndedAt { get; init; }
    /// <summary>Last change to the session or its messages.</summary>
    public DateTimeOffset UpdatedAt { get; init; }
    /// <summary>Application data, a JSON object.</summary>
    public JsonObject? Metadata { get; init; }
    /// <summary>Counts kept current on every write.</summary>
    public required SessionSummary Summary { get; init; }
}

/// <summary>A session's counts, updated in the same transaction as every write.</summary>
public sealed record SessionSummary
{
    /// <summary>Messages in the session.</summary>
    public long MessageCount { get; init; }
    /// <summary>Messages per current status (wire names such as <c>delivered</c>).</summary>
    public required IReadOnlyDictionary<string, long> StatusCounts { get; init; }
    /// <summary>Channels with at least one message, sorted.</summary>
    public required IReadOnlyList<string> ChannelsUsed { get; init; }
    /// <summary>Templates with at least one message, sorted.</summary>
    public required IReadOnlyList<string> TemplatesUsed { get; init; }
    /// <summary>Earliest message <c>created_at</c>.</summary>
    public DateTimeOffset? FirstMessageAt { get; init; }
    /// <summary>Latest message <c>created_at</c>.</summary>
    public DateTimeOffset? LastMessageAt { get; init; }
    /// <summary>User messages past the agent's read marker.</summary>
    public long UnreadForAgent { get; init; }
    /// <summary>Agent, AI and system messages past the user's read marker.</summary>
    public long UnreadForUser { get; init; }
}

/// <summary>A session to create. Every field is optional.</summary>
public sealed record NewSession
{
    /// <summary>1–64 characters of <c>[A-Za-z0-9._:-]</c>; a ULID is generated when absent.</summary>
    public string? Id { get; init; }
    /// <summary>Up to 32 characters; default <c>chat</c>.</summary>
    public string? Kind { get; init; }
    /// <summary>Up to 200 characters.</summary>
    public string? Title { get; init; }
    /// <summary>Up to 128 characters.</summary>
    public string? Tenant { get; init; }
    /// <summary>Up to 255 characters.</summary>
    public string? UserAccount { get; init; }
    /// <summary>Application data.</summary>
    public JsonObject? Metadata { get; init; }
    /// <summary>Defaults to now.</summary>
    public DateTimeOffset? StartedAt { get; init; }
}

/// <summary>The stored session and whether this call created it (false: the id existed).</summary>
public sealed record SessionResult(Session Session, bool Created)
{
    /// <summary>The database was unavailable: the session waits in the spool and is created when it is back.</summary>
    public bool Spooled { get; init; }
}

/// <summary>Changes to a session; an unset field is left as it is.</summary>
public sealed record SessionPatch
{
    /// <summary>A new title, or <c>null</c> to clear it.</summary>
    public Optional<string?> Title { get; init; }
    /// <summary>New metadata, or <c>null</c> to clear it.</summary>
    public Optional<JsonObject?> Metadata { get; init; }
}

/// <summary>Filters for listing sessions, newest activity first.</summary>
public sealed record SessionQuery
{
    /// <summary>From 1.</summary>
    public int Page { get; init; } = 1;
    /// <summary>1 to 200.</summary>
    public int PerPage { get; init; } = 20;
    /// <summary>Only sessions with this status.</summary>
    public SessionStatus? Status { get; init; }
    /// <summary>Only sessions of this kind.</summary>
    public string? Kind { get; init; }
    /// <summary>Only sessions with a message on this channel.</summary>
    public string? Channel { get; init; }
    /// <summary>Text to find in the title (or the id).</summary>
    public string? Text { get; init; }
    /// <summary>Only sessions started at or after this time.</summary>
    public DateTimeOffset? Since { get; init; }
    /// <summary>Only sessions started before this time.</summary>
    public DateTimeOffset? Until { get; init; }
    /// <summary>Only this tenant's sessions.</summary>
    public string? Tenant { get; init; }
}
