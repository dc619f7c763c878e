using System.Data.Common;
using System.Globalization;
using Parley.Internal.Messages;
using Parley.Internal.Reports;
using Parley.Internal.Sessions;

namespace Parley.Internal.Kernel;

/// <summary>Column lists and row readers shared by every engine's write and read paths. Times come back as text
/// (SQLite) or as the engine's date type; flags as integers or booleans; both are read whichever way they come.</summary>
internal static class RowReaders
{
    public const string MessageColumns =
        "id, session_id, session_seq, idempotency_key, direction, sender_type, sender_id, sender_name, channel, recipient, " +
        "template, subject, content, status, sent_at, delivered_at, read_at, failed_at, cancelled_at, sent_implied, " +
        "delivered_implied, provider_message_id, error_code, error_message, error_at, metadata, created_at, updated_at, tenant_key";

    public const string SessionColumns =
        "id, kind, title, tenant, user_account, status, started_at, ended_at, updated_at, metadata, message_count, " +
        "first_message_at, last_message_at, last_seq, agent_read_seq, user_read_seq, unread_for_agent, unread_for_user";

    public const string EventColumns =
        "id, message_id, status, occurred_at, recorded_at, source, error_code, error_message, detail, outcome, tenant_key";

    public const string ParkedColumns =
        "id, provider_message_id, channel, status, occurred_at, received_at, source, error_code, error_message, detail, tenant_key";

    public static string? Str(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    public static DateTimeOffset? Time(DbDataReader r, int i) => r.IsDBNull(i) ? null : Time(r.GetValue(i));

    public static DateTimeOffset TimeAt(DbDataReader r, int i) => Time(r.GetValue(i));

    public static bool Flag(DbDataReader r, int i) => r.GetValue(i) switch
    {
        bool b => b,
        var v => Convert.ToInt64(v, CultureInfo.InvariantCulture) != 0,
    };

    public static long Long(DbDataReader r, int i) => r.GetInt64(i);

    public static DateTimeOffset Time(object value) => value switch
    {
        string s => Timestamps.Parse(s),
        DateTime d => new DateTimeOffset(DateTime.SpecifyKind(d.Kind == DateTimeKind.Local ? d.ToUniversalTime() : d, DateTimeKind.Utc)),
        DateTimeOffset d => d.ToUniversalTime(),
        _ => throw new InvalidCastException($"a time column held {value.GetType().Name}."),
    };

    /// <summary>Reads <see cref="MessageColumns"/> starting at ordinal <paramref name="o"/>.</summary>
    public static MessageRow Message(DbDataReader r, int o = 0) => new()
    {
        Id = r.GetString(o),
        SessionId = r.GetString(o + 1),
        SessionSeq = Long(r, o + 2),
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
            SentImplied = Flag(r, o + 19),
            DeliveredImplied = Flag(r, o + 20),
            ErrorCode = Str(r, o + 22),
            ErrorMessage = Str(r, o + 23),
            ErrorAt = Time(r, o + 24),
        },
        ProviderMessageId = Str(r, o + 21),
        MetadataJson = Str(r, o + 25),
        CreatedAt = TimeAt(r, o + 26),
        UpdatedAt = TimeAt(r, o + 27),
        TenantKey = r.GetString(o + 28),
    };

    public static SessionRow Session(DbDataReader r, int o = 0) => new()
    {
        Id = r.GetString(o),
        Kind = r.GetString(o + 1),
        Title = Str(r, o + 2),
        Tenant = Str(r, o + 3),
        UserAccount = Str(r, o + 4),
        Status = WireNames.SessionStatus(r.GetString(o + 5)),
        StartedAt = TimeAt(r, o + 6),
        EndedAt = Time(r, o + 7),
        UpdatedAt = TimeAt(r, o + 8),
        MetadataJson = Str(r, o + 9),
        MessageCount = Long(r, o + 10),
        FirstMessageAt = Time(r, o + 11),
        LastMessageAt = Time(r, o + 12),
        LastSeq = Long(r, o + 13),
        AgentReadSeq = Long(r, o + 14),
        UserReadSeq = Long(r, o + 15),
        UnreadForAgent = Long(r, o + 16),
        UnreadForUser = Long(r, o + 17),
    };

    public static EventRow Event(DbDataReader r) => new()
    {
        Id = Long(r, 0),
        MessageId = r.GetString(1),
        Status = WireNames.Status(r.GetString(2)),
        OccurredAt = TimeAt(r, 3),
        RecordedAt = TimeAt(r, 4),
        Source = r.GetString(5),
        ErrorCode = Str(r, 6),
        ErrorMessage = Str(r, 7),
        DetailJson = Str(r, 8),
        Outcome = WireNames.Outcome(r.GetString(9)),
        TenantKey = r.GetString(10),
    };

    public static ParkedRow Parked(DbDataReader r) => new()
    {
        Id = Long(r, 0),
        ProviderMessageId = r.GetString(1),
        Channel = Str(r, 2),
        Status = WireNames.Status(r.GetString(3)),
        OccurredAt = TimeAt(r, 4),
        ReceivedAt = TimeAt(r, 5),
        Source = r.GetString(6),
        ErrorCode = Str(r, 7),
        ErrorMessage = Str(r, 8),
        DetailJson = Str(r, 9),
        TenantKey = Str(r, 10),
    };
}
