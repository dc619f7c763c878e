using Microsoft.Data.Sqlite;
using Parley.Internal.Lifecycle;

namespace Parley.Internal.Sqlite;

/// <summary>Column lists and row readers shared by SQLite's write and read paths.</summary>
internal static class SqliteRows
{
    public const string MessageColumns =
        "id, session_id, session_seq, idempotency_key, direction, sender_type, sender_id, sender_name, channel, recipient, " +
        "template, subject, content, status, sent_at, delivered_at, read_at, failed_at, cancelled_at, sent_implied, " +
        "delivered_implied, provider_message_id, error_code, error_message, error_at, metadata, created_at, updated_at";

    public const string SessionColumns =
        "id, kind, title, tenant, user_account, status, started_at, ended_at, updated_at, metadata, message_count, " +
        "first_message_at, last_message_at, last_seq, agent_read_seq, user_read_seq, unread_for_agent, unread_for_user";

    public const string EventColumns =
        "id, message_id, status, occurred_at, recorded_at, source, error_code, error_message, detail, outcome";

    public const string ParkedColumns =
        "id, provider_message_id, channel, status, occurred_at, received_at, source, error_code, error_message, detail";

    public static object Db(string? value) => (object?)value ?? DBNull.Value;
    public static object Db(DateTimeOffset? value) => value is { } v ? Timestamps.ToText(v) : DBNull.Value;
    public static object Db(DateTimeOffset value) => Timestamps.ToText(value);

    private static string? Str(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
    private static DateTimeOffset? Time(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : Timestamps.Parse(r.GetString(i));

    /// <summary>Reads <see cref="MessageColumns"/> starting at ordinal <paramref name="o"/>.</summary>
    public static MessageRow Message(SqliteDataReader r, int o = 0) => new()
    {
        Id = r.GetString(o),
        SessionId = r.GetString(o + 1),
        SessionSeq = r.GetInt64(o + 2),
        IdempotencyKey = Str(r, o + 3),
        Direction = WireNames.Direction(r.GetString(o + 4)),
        SenderType = WireNames.Sender(r.GetString(o + 5)),
        SenderId = Str(r, o + 6),
        SenderName = Str(r, o + 7),
        Channel = r.GetString(o + 8),
        Recipient = Str(r, o + 9),
        Template = Str(r, o + 10),
        Subject = Str(r, o + 11),
        Content = r.GetString(o + 12),
        Delivery = new DeliveryState
        {
            Status = WireNames.Status(r.GetString(o + 13)),
            SentAt = Time(r, o + 14),
            DeliveredAt = Time(r, o + 15),
            ReadAt = Time(r, o + 16),
            FailedAt = Time(r, o + 17),
            CancelledAt = Time(r, o + 18),
            SentImplied = r.GetInt64(o + 19) != 0,
            DeliveredImplied = r.GetInt64(o + 20) != 0,
            ErrorCode = Str(r, o + 22),
            ErrorMessage = Str(r, o + 23),
            ErrorAt = Time(r, o + 24),
        },
        ProviderMessageId = Str(r, o + 21),
        MetadataJson = Str(r, o + 25),
        CreatedAt = Timestamps.Parse(r.GetString(o + 26)),
        UpdatedAt = Timestamps.Parse(r.GetString(o + 27)),
    };

    public static SessionRow Session(SqliteDataReader r, int o = 0) => new()
    {
        Id = r.GetString(o),
        Kind = r.GetString(o + 1),
        Title = Str(r, o + 2),
        Tenant = Str(r, o + 3),
        UserAccount = Str(r, o + 4),
        Status = WireNames.SessionStatus(r.GetString(o + 5)),
        StartedAt = Timestamps.Parse(r.GetString(o + 6)),
        EndedAt = Time(r, o + 7),
        UpdatedAt = Timestamps.Parse(r.GetString(o + 8)),
        MetadataJson = Str(r, o + 9),
        MessageCount = r.GetInt64(o + 10),
        FirstMessageAt = Time(r, o + 11),
        LastMessageAt = Time(r, o + 12),
        LastSeq = r.GetInt64(o + 13),
        AgentReadSeq = r.GetInt64(o + 14),
        UserReadSeq = r.GetInt64(o + 15),
        UnreadForAgent = r.GetInt64(o + 16),
        UnreadForUser = r.GetInt64(o + 17),
    };

    public static EventRow Event(SqliteDataReader r) => new()
    {
        Id = r.GetInt64(0),
        MessageId = r.GetString(1),
        Status = WireNames.Status(r.GetString(2)),
        OccurredAt = Timestamps.Parse(r.GetString(3)),
        RecordedAt = Timestamps.Parse(r.GetString(4)),
        Source = r.GetString(5),
        ErrorCode = Str(r, 6),
        ErrorMessage = Str(r, 7),
        DetailJson = Str(r, 8),
        Outcome = WireNames.Outcome(r.GetString(9)),
    };

    public static ParkedRow Parked(SqliteDataReader r) => new()
    {
        Id = r.GetInt64(0),
        ProviderMessageId = r.GetString(1),
        Channel = Str(r, 2),
        Status = WireNames.Status(r.GetString(3)),
        OccurredAt = Timestamps.Parse(r.GetString(4)),
        ReceivedAt = Timestamps.Parse(r.GetString(5)),
        Source = r.GetString(6),
        ErrorCode = Str(r, 7),
        ErrorMessage = Str(r, 8),
        DetailJson = Str(r, 9),
    };
}
