using Microsoft.Data.Sqlite;
using Parley.Internal.Lifecycle;
using Parley.Internal.Writing;
using static Parley.Internal.Sqlite.SqliteRows;

namespace Parley.Internal.Sqlite;

/// <summary>The writer's SQLite connection. Every statement is prepared once and reused for the life of the
/// ledger; transactions are plain <c>BEGIN IMMEDIATE</c>/<c>COMMIT</c> so the write lock is taken up front and
/// a busy database fails at <c>BEGIN</c>, where retrying is safe.</summary>
internal sealed class SqliteWriteStore : WriteStore
{
    private readonly SqliteConnection _conn;
    // Keyed by reference: every statement is a compile-time constant, so hashing its text on each call would be waste.
    private readonly Dictionary<string, SqliteCommand> _commands = new(ReferenceEqualityComparer.Instance);

    public SqliteWriteStore(SqliteConnection conn) => _conn = conn;

    private SqliteCommand Cmd(string sql, params object?[] values)
    {
        if (!_commands.TryGetValue(sql, out var cmd))
        {
            cmd = _conn.CreateCommand();
            cmd.CommandText = sql;
            for (var i = 0; i < values.Length; i++) cmd.Parameters.Add(new SqliteParameter($"$p{i}", null));
            cmd.Prepare();
            _commands[sql] = cmd;
        }
        for (var i = 0; i < values.Length; i++) cmd.Parameters[i].Value = values[i] ?? DBNull.Value;
        return cmd;
    }

    private int Exec(string sql, params object?[] values) => Cmd(sql, values).ExecuteNonQuery();

    public override void Begin() => Exec("BEGIN IMMEDIATE");
    public override void Commit() => Exec("COMMIT");

    public override void Rollback()
    {
        // After some errors SQLite has already rolled back; a second ROLLBACK would fail.
        if (SQLitePCL.raw.sqlite3_get_autocommit(_conn.Handle) != 0) return;
        Exec("ROLLBACK");
    }

    public override bool IsTransient(Exception error) =>
        error is SqliteException { SqliteErrorCode: 5 or 6 }; // SQLITE_BUSY, SQLITE_LOCKED

    public override SessionRow? LoadSession(string id)
    {
        using var r = Cmd($"SELECT {SessionColumns} FROM parley_sessions WHERE id = $p0", id).ExecuteReader();
        return r.Read() ? Session(r) : null;
    }

    public override void InsertSession(SessionRow s) => Exec(
        $"INSERT INTO parley_sessions ({SessionColumns}) VALUES ($p0, $p1, $p2, $p3, $p4, $p5, $p6, $p7, $p8, $p9, $p10, $p11, $p12, $p13, $p14, $p15, $p16, $p17)",
        s.Id, s.Kind, s.Title, s.Tenant, s.UserAccount, WireNames.Of(s.Status), Db(s.StartedAt), Db(s.EndedAt), Db(s.UpdatedAt),
        s.MetadataJson, s.MessageCount, Db(s.FirstMessageAt), Db(s.LastMessageAt), s.LastSeq, s.AgentReadSeq, s.UserReadSeq,
        s.UnreadForAgent, s.UnreadForUser);

    public override void UpdateSession(SessionRow s) => Exec(
        "UPDATE parley_sessions SET title = $p1, status = $p2, ended_at = $p3, updated_at = $p4, metadata = $p5, message_count = $p6, " +
        "first_message_at = $p7, last_message_at = $p8, last_seq = $p9, agent_read_seq = $p10, user_read_seq = $p11, " +
        "unread_for_agent = $p12, unread_for_user = $p13 WHERE id = $p0",
        s.Id, s.Title, WireNames.Of(s.Status), Db(s.EndedAt), Db(s.UpdatedAt), s.MetadataJson, s.MessageCount,
        Db(s.FirstMessageAt), Db(s.LastMessageAt), s.LastSeq, s.AgentReadSeq, s.UserReadSeq, s.UnreadForAgent, s.UnreadForUser);

    public override bool DeleteSession(string id) => Exec("DELETE FROM parley_sessions WHERE id = $p0", id) > 0;

    public override void AddFacet(string sessionId, string facet, string value, long delta) => Exec(
        "INSERT INTO parley_session_facets (session_id, facet, value, n) VALUES ($p0, $p1, $p2, $p3) " +
        "ON CONFLICT (session_id, facet, value) DO UPDATE SET n = n + excluded.n",
        sessionId, facet, value, delta);

    public override MessageRow? FindMessage(string id)
    {
        using var r = Cmd($"SELECT {MessageColumns} FROM parley_messages WHERE id = $p0", id).ExecuteReader();
        return r.Read() ? Message(r) : null;
    }

    public override MessageRow? FindMessageByKey(string sessionId, string idempotencyKey)
    {
        using var r = Cmd($"SELECT {MessageColumns} FROM parley_messages WHERE session_id = $p0 AND idempotency_key = $p1",
            sessionId, idempotencyKey).ExecuteReader();
        return r.Read() ? Message(r) : null;
    }

    public override List<MessageRow> FindMessagesByProvider(string providerMessageId, string? channel)
    {
        var sql = channel is null
            ? $"SELECT {MessageColumns} FROM parley_messages WHERE provider_message_id = $p0 AND $p1 IS NULL"
            : $"SELECT {MessageColumns} FROM parley_messages WHERE provider_message_id = $p0 AND channel = $p1";
        return ReadAll(Cmd(sql, providerMessageId, channel), r => Message(r));
    }

    public override void InsertMessage(MessageRow m)
    {
        var d = m.Delivery;
        if (d == new DeliveryState { Status = d.Status })
        {
            // No delivery times or errors yet (every newly logged outbound message): binding nine fewer parameters
            // is a fifth of the insert's CPU; the columns take their declared defaults.
            Exec("INSERT INTO parley_messages (id, session_id, session_seq, idempotency_key, direction, sender_type, sender_id, sender_name, " +
                 "channel, recipient, template, subject, content, status, provider_message_id, metadata, created_at, updated_at) " +
                 "VALUES ($p0, $p1, $p2, $p3, $p4, $p5, $p6, $p7, $p8, $p9, $p10, $p11, $p12, $p13, $p14, $p15, $p16, $p17)",
                m.Id, m.SessionId, m.SessionSeq, m.IdempotencyKey, WireNames.Of(m.Direction), WireNames.Of(m.SenderType), m.SenderId,
                m.SenderName, m.Channel, m.Recipient, m.Template, m.Subject, m.Content, WireNames.Of(d.Status), m.ProviderMessageId,
                m.MetadataJson, Db(m.CreatedAt), Db(m.UpdatedAt));
            return;
        }
        Exec($"INSERT INTO parley_messages ({MessageColumns}) VALUES ($p0, $p1, $p2, $p3, $p4, $p5, $p6, $p7, $p8, $p9, $p10, $p11, " +
             "$p12, $p13, $p14, $p15, $p16, $p17, $p18, $p19, $p20, $p21, $p22, $p23, $p24, $p25, $p26, $p27)",
            m.Id, m.SessionId, m.SessionSeq, m.IdempotencyKey, WireNames.Of(m.Direction), WireNames.Of(m.SenderType), m.SenderId,
            m.SenderName, m.Channel, m.Recipient, m.Template, m.Subject, m.Content, WireNames.Of(d.Status), Db(d.SentAt),
            Db(d.DeliveredAt), Db(d.ReadAt), Db(d.FailedAt), Db(d.CancelledAt), d.SentImplied ? 1 : 0, d.DeliveredImplied ? 1 : 0,
            m.ProviderMessageId, d.ErrorCode, d.ErrorMessage, Db(d.ErrorAt), m.MetadataJson, Db(m.CreatedAt), Db(m.UpdatedAt));
    }

    public override void UpdateDelivery(MessageRow m)
    {
        var d = m.Delivery;
        Exec("UPDATE parley_messages SET status = $p1, sent_at = $p2, delivered_at = $p3, read_at = $p4, failed_at = $p5, " +
             "cancelled_at = $p6, sent_implied = $p7, delivered_implied = $p8, provider_message_id = $p9, error_code = $p10, " +
             "error_message = $p11, error_at = $p12, updated_at = $p13 WHERE id = $p0",
            m.Id, WireNames.Of(d.Status), Db(d.SentAt), Db(d.DeliveredAt), Db(d.ReadAt), Db(d.FailedAt), Db(d.CancelledAt),
            d.SentImplied ? 1 : 0, d.DeliveredImplied ? 1 : 0, m.ProviderMessageId, d.ErrorCode, d.ErrorMessage, Db(d.ErrorAt),
            Db(m.UpdatedAt));
    }

    public override long? SeqOf(string sessionId, string messageId)
    {
        var v = Cmd("SELECT session_seq FROM parley_messages WHERE id = $p0 AND session_id = $p1", messageId, sessionId).ExecuteScalar();
        return v is null or DBNull ? null : Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture);
    }

    public override List<MessageRow> MessagesBetween(string sessionId, long after, long upTo) => ReadAll(
        Cmd($"SELECT {MessageColumns} FROM parley_messages WHERE session_id = $p0 AND session_seq > $p1 AND session_seq <= $p2 ORDER BY session_seq",
            sessionId, after, upTo), r => Message(r));

    public override long CountUnread(string sessionId, Reader reader, long after)
    {
        var sql = reader == Reader.Agent
            ? "SELECT count(*) FROM parley_messages WHERE session_id = $p0 AND session_seq > $p1 AND sender_type = 'user'"
            : "SELECT count(*) FROM parley_messages WHERE session_id = $p0 AND session_seq > $p1 AND sender_type <> 'user'";
        return (long)Cmd(sql, sessionId, after).ExecuteScalar()!;
    }

    public override bool EventExists(string messageId, MessageStatus status, DateTimeOffset occurredAt, string? errorCode) =>
        Cmd("SELECT EXISTS (SELECT 1 FROM parley_message_events WHERE message_id = $p0 AND status = $p1 AND occurred_at = $p2 " +
            "AND error_code IS $p3)", messageId, WireNames.Of(status), Db(occurredAt), errorCode).ExecuteScalar() is long and not 0;

    public override void InsertEvent(EventRow e) => Exec(
        "INSERT INTO parley_message_events (message_id, status, occurred_at, recorded_at, source, error_code, error_message, detail, applied, outcome) " +
        "VALUES ($p0, $p1, $p2, $p3, $p4, $p5, $p6, $p7, $p8, $p9)",
        e.MessageId, WireNames.Of(e.Status), Db(e.OccurredAt), Db(e.RecordedAt), e.Source, e.ErrorCode, e.ErrorMessage, e.DetailJson,
        e.Outcome == ReportOutcome.Applied ? 1 : 0, WireNames.Of(e.Outcome));

    public override void Park(ParkedRow p) => Exec(
        "INSERT INTO parley_parked_reports (provider_message_id, channel, status, occurred_at, received_at, source, error_code, error_message, detail) " +
        "VALUES ($p0, $p1, $p2, $p3, $p4, $p5, $p6, $p7, $p8)",
        p.ProviderMessageId, p.Channel, WireNames.Of(p.Status), Db(p.OccurredAt), Db(p.ReceivedAt), p.Source, p.ErrorCode, p.ErrorMessage, p.DetailJson);

    public override List<ParkedRow> TakeParked(string providerMessageId, string channel)
    {
        var rows = ReadAll(Cmd($"SELECT {ParkedColumns} FROM parley_parked_reports WHERE provider_message_id = $p0 " +
                               "AND (channel IS NULL OR channel = $p1) ORDER BY id", providerMessageId, channel), Parked);
        foreach (var row in rows) Exec("DELETE FROM parley_parked_reports WHERE id = $p0", row.Id);
        return rows;
    }

    public override List<ParkedRow> ExpireParked(DateTimeOffset before)
    {
        var rows = ReadAll(Cmd($"SELECT {ParkedColumns} FROM parley_parked_reports WHERE received_at < $p0 ORDER BY id", Db(before)), Parked);
        Exec("DELETE FROM parley_parked_reports WHERE received_at < $p0", Db(before));
        return rows;
    }

    public override void InsertSystemEvent(SystemEventLevel level, string source, string name, string? detailJson, DateTimeOffset at) => Exec(
        "INSERT INTO parley_system_events (level, source, event, detail, at) VALUES ($p0, $p1, $p2, $p3, $p4)",
        WireNames.Of(level), source, name, detailJson, Db(at));

    public override object? ReadSetting(string name)
    {
        if (name is not ("synchronous" or "journal_mode" or "foreign_keys" or "busy_timeout"))
            throw new ArgumentException($"{name} is not a setting Parley reads.", nameof(name));
        using var cmd = _conn.CreateCommand();
        cmd.CommandText = "PRAGMA " + name;
        return cmd.ExecuteScalar();
    }

    private static List<T> ReadAll<T>(SqliteCommand cmd, Func<SqliteDataReader, T> read)
    {
        var list = new List<T>();
        using var r = cmd.ExecuteReader();
        while (r.Read()) list.Add(read(r));
        return list;
    }

    public override void Dispose()
    {
        foreach (var cmd in _commands.Values) cmd.Dispose();
        _commands.Clear();
        _conn.Dispose();
    }
}
