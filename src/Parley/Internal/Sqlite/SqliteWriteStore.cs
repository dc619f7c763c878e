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
    private RawStatement? _insertNew, _insertFull, _updateDelivery, _insertEvent;

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
        RawStatement stmt;
        if (d == new DeliveryState { Status = d.Status })
        {
            // No delivery times or errors yet (every newly logged outbound message): the nine delivery columns take
            // their declared defaults, nine fewer parameters to bind.
            stmt = _insertNew ??= new RawStatement(_conn,
                "INSERT INTO parley_messages (id, session_id, session_seq, idempotency_key, direction, sender_type, sender_id, sender_name, " +
                "channel, recipient, template, subject, content, status, provider_message_id, metadata, created_at, updated_at) " +
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)");
            BindCommon(stmt, m).Text(15, m.ProviderMessageId).Text(16, m.MetadataJson).Time(17, m.CreatedAt).Time(18, m.UpdatedAt).Run();
            return;
        }
        stmt = _insertFull ??= new RawStatement(_conn,
            $"INSERT INTO parley_messages ({MessageColumns}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, " +
            "?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28)");
        BindCommon(stmt, m).Time(15, d.SentAt).Time(16, d.DeliveredAt).Time(17, d.ReadAt).Time(18, d.FailedAt).Time(19, d.CancelledAt)
            .Integer(20, d.SentImplied ? 1 : 0).Integer(21, d.DeliveredImplied ? 1 : 0).Text(22, m.ProviderMessageId)
            .Text(23, d.ErrorCode).Text(24, d.ErrorMessage).Time(25, d.ErrorAt).Text(26, m.MetadataJson)
            .Time(27, m.CreatedAt).Time(28, m.UpdatedAt).Run();
    }

    // The first fourteen columns of MessageColumns, shared by both inserts.
    private static RawStatement BindCommon(RawStatement stmt, MessageRow m) => stmt
        .Text(1, m.Id).Text(2, m.SessionId).Integer(3, m.SessionSeq).Text(4, m.IdempotencyKey).Text(5, WireNames.Of(m.Direction))
        .Text(6, WireNames.Of(m.SenderType)).Text(7, m.SenderId).Text(8, m.SenderName).Text(9, m.Channel).Text(10, m.Recipient)
        .Text(11, m.Template).Text(12, m.Subject).Text(13, m.Content).Text(14, WireNames.Of(m.Delivery.Status));

    public override void UpdateDelivery(MessageRow m)
    {
        var d = m.Delivery;
        (_updateDelivery ??= new RawStatement(_conn,
                "UPDATE parley_messages SET status = ?2, sent_at = ?3, delivered_at = ?4, read_at = ?5, failed_at = ?6, cancelled_at = ?7, " +
                "sent_implied = ?8, delivered_implied = ?9, provider_message_id = ?10, error_code = ?11, error_message = ?12, error_at = ?13, " +
                "updated_at = ?14 WHERE id = ?1"))
            .Text(1, m.Id).Text(2, WireNames.Of(d.Status)).Time(3, d.SentAt).Time(4, d.DeliveredAt).Time(5, d.ReadAt).Time(6, d.FailedAt)
            .Time(7, d.CancelledAt).Integer(8, d.SentImplied ? 1 : 0).Integer(9, d.DeliveredImplied ? 1 : 0).Text(10, m.ProviderMessageId)
            .Text(11, d.ErrorCode).Text(12, d.ErrorMessage).Time(13, d.ErrorAt).Time(14, m.UpdatedAt).Run();
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

    public override void InsertEvent(EventRow e) =>
        (_insertEvent ??= new RawStatement(_conn,
            "INSERT INTO parley_message_events (message_id, status, occurred_at, recorded_at, source, error_code, error_message, detail, applied, outcome) " +
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"))
        .Text(1, e.MessageId).Text(2, WireNames.Of(e.Status)).Time(3, e.OccurredAt).Time(4, e.RecordedAt).Text(5, e.Source)
        .Text(6, e.ErrorCode).Text(7, e.ErrorMessage).Text(8, e.DetailJson).Integer(9, e.Outcome == ReportOutcome.Applied ? 1 : 0)
        .Text(10, WireNames.Of(e.Outcome)).Run();

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

    public override void InsertApiKey(ApiKey key, string hash) => Exec(
        "INSERT INTO parley_api_keys (id, hash, tenant, admin, name, created_at) VALUES ($p0, $p1, $p2, $p3, $p4, $p5)",
        key.Id, hash, key.Tenant, key.Admin ? 1 : 0, key.Name, Db(key.CreatedAt));

    public override bool RevokeApiKey(string id, DateTimeOffset at) =>
        Exec("UPDATE parley_api_keys SET revoked_at = $p1 WHERE id = $p0 AND revoked_at IS NULL", id, Db(at)) > 0;

    public override void InsertSystemEvent(SystemEventLevel level, string source, string name, string? detailJson, DateTimeOffset at) => Exec(
        "INSERT INTO parley_system_events (level, source, event, detail, at) VALUES ($p0, $p1, $p2, $p3, $p4)",
        WireNames.Of(level), source, name, detailJson, Db(at));

    public override object? ReadSetting(string name)
    {
        if (name is not ("synchronous" or "journal_mode" or "foreign_keys" or "busy_timeout" or "wal_autocheckpoint"))
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
        foreach (var stmt in (RawStatement?[])[_insertNew, _insertFull, _updateDelivery, _insertEvent]) stmt?.Dispose();
        _commands.Clear();
        _conn.Dispose();
    }
}
