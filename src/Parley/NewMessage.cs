using System.Text.Json.Nodes;

namespace Parley;

/// <summary>A message to log. Give <see cref="Direction"/> or <see cref="SenderType"/> (or both).</summary>
public sealed record NewMessage
{
    /// <summary>Client-given id (1–64 of <c>[A-Za-z0-9._:-]</c>); a ULID is generated when absent.
    /// Logging an existing id again returns the stored message unchanged.</summary>
    public string? Id { get; init; }
    /// <summary>Up to 128 characters, unique per session: a repeat returns the stored message unchanged.</summary>
    public string? IdempotencyKey { get; init; }
    /// <summary>Defaults from <see cref="SenderType"/>: a user writes inbound, everyone else outbound.</summary>
    public Direction? Direction { get; init; }
    /// <summary>Defaults from <see cref="Direction"/>: inbound is the user, outbound the system.</summary>
    public SenderType? SenderType { get; init; }
    /// <summary>Up to 255 characters.</summary>
    public string? SenderId { get; init; }
    /// <summary>Up to 255 characters.</summary>
    public string? SenderName { get; init; }
    /// <summary>Lowercase slug up to 32 characters; default <c>web</c>.</summary>
    public string? Channel { get; init; }
    /// <summary>Up to 320 characters.</summary>
    public string? Recipient { get; init; }
    /// <summary>Up to 128 characters.</summary>
    public string? Template { get; init; }
    /// <summary>Up to 998 characters.</summary>
    public string? Subject { get; init; }
    /// <summary>Required, up to 1 MiB of UTF-8; may be empty.</summary>
    public string? Content { get; init; }
    /// <summary>Initial status; default <c>pending</c> outbound, <c>delivered</c> inbound. Applied as a report at
    /// <see cref="CreatedAt"/> through the lifecycle rules.</summary>
    public MessageStatus? Status { get; init; }
    /// <summary>Up to 255 characters, unique per channel.</summary>
    public string? ProviderMessageId { get; init; }
    /// <summary>With a <c>failed</c> initial status.</summary>
    public string? ErrorCode { get; init; }
    /// <summary>With a <c>failed</c> initial status.</summary>
    public string? ErrorMessage { get; init; }
    /// <summary>Application data.</summary>
    public JsonObject? Metadata { get; init; }
    /// <summary>Defaults to now; give it when importing history.</summary>
    public DateTimeOffset? CreatedAt { get; init; }
    /// <summary>Source recorded on the initial status event; default <c>library</c>.</summary>
    public string? Source { get; init; }
}

/// <summary>The stored message and whether this call created it (false: an idempotent repeat).</summary>
public sealed record LoggedMessage(Message Message, bool Created)
{
    /// <summary>The database was unavailable: the message waits in the spool, with its id and times already fixed,
    /// and is stored when the database is back; it counts as unread until then.</summary>
    public bool Spooled { get; init; }
}

/// <summary>A page of a cursor-paged list; <see cref="NextCursor"/> is null on the last page.</summary>
public sealed record CursorPage<T>(IReadOnlyList<T> Items, string? NextCursor);

/// <summary>A page of a numbered list.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, int PageNumber, int PerPage, long Total)
{
    /// <summary>Pages in all (0 for an empty list).</summary>
    public long TotalPages => Total == 0 ? 0 : (Total + PerPage - 1) / PerPage;
}

/// <summary>Reading a session's messages in order.</summary>
public sealed record TranscriptQuery
{
    /// <summary>From a previous page's <see cref="CursorPage{T}.NextCursor"/>.</summary>
    public string? Cursor { get; init; }
    /// <summary>1 to 200; default 50.</summary>
    public int Limit { get; init; } = 50;
    /// <summary>Oldest first unless true.</summary>
    public bool Descending { get; init; }
}

/// <summary>Searching messages, newest first.</summary>
public sealed record MessageQuery
{
    /// <summary>Only this status.</summary>
    public MessageStatus? Status { get; init; }
    /// <summary>Only this channel.</summary>
    public string? Channel { get; init; }
    /// <summary>Only this recipient.</summary>
    public string? Recipient { get; init; }
    /// <summary>Only the message with this provider id.</summary>
    public string? ProviderMessageId { get; init; }
    /// <summary>Created at or after.</summary>
    public DateTimeOffset? Since { get; init; }
    /// <summary>Created before.</summary>
    public DateTimeOffset? Until { get; init; }
    /// <summary>Only this tenant's messages.</summary>
    public string? Tenant { get; init; }
    /// <summary>From a previous page.</summary>
    public string? Cursor { get; init; }
    /// <summary>1 to 200; default 50.</summary>
    public int Limit { get; init; } = 50;
}
