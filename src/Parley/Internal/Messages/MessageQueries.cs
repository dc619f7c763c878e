using System.Data.Common;
using System.Text;
using Parley.Internal.Kernel;
using static Parley.Internal.Kernel.RowReaders;

namespace Parley.Internal.Messages;

/// <summary>The reads of messages (docs/http-api.md, "Messages"): one message with its events, a session's transcript
/// page by page, and the search across sessions; each message with its session's read markers.</summary>
internal static class MessageQueries
{
    private const string MessageWithMarkers =
        $"SELECT m.row_id, {MessageColumnsM}, s.agent_read_seq, s.user_read_seq, s.tenant FROM parley_messages m JOIN parley_sessions s ON s.tenant_key = m.tenant_key AND s.id = m.session_id";

    private const string MessageColumnsM =
        "m.id, m.session_id, m.session_seq, m.idempotency_key, m.direction, m.sender_type, m.sender_id, m.sender_name, m.channel, " +
        "m.recipient, m.template, m.subject, m.content, m.status, m.sent_at, m.delivered_at, m.read_at, m.failed_at, m.cancelled_at, " +
        "m.sent_implied, m.delivered_implied, m.provider_message_id, m.error_code, m.error_message, m.error_at, m.metadata, " +
        "m.created_at, m.updated_at, m.tenant_key";

    public static async Task<Message?> GetMessageAsync(this ReadDatabase db, string? scope, string id, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        await using var snapshot = await db.SnapshotAsync(conn, ct);
        var rows = await db.QueryRowsAsync(conn, ct, MessageWithMarkers + " WHERE m.id = @id" + (scope is null ? "" : " AND m.tenant_key = @scope"), ReadMessage,
            ("@id", id), ("@scope", scope));
        if (rows.Count > 1) throw Tenants.Ambiguous("message", id, rows.Select(r => r.Row!.TenantKey));
        if (rows.Count == 0) return null;
        var found = rows[0];
        var events = await db.QueryRowsAsync(conn, ct, $"SELECT {EventColumns} FROM parley_message_events WHERE tenant_key = @tk AND message_id = @id ORDER BY id",
            r => Mapping.ToEvent(Event(r)), ("@id", id), ("@tk", found.Row!.TenantKey));
        return Mapping.ToMessage(found.Row, found.AgentSeq, found.UserSeq, events);
    }

    public static async Task<CursorPage<Message>?> TranscriptAsync(this ReadDatabase db, string sessionId, TranscriptQuery q, string? scope, CancellationToken ct)
    {
        var after = Cursors.Decode(q.Cursor, 't');
        await using var conn = await db.OpenAsync(ct);
        await using var snapshot = await db.SnapshotAsync(conn, ct);
        var session = await db.QueryRowsAsync(conn, ct, "SELECT agent_read_seq, user_read_seq, tenant_key FROM parley_sessions WHERE id = @id" +
                                      (scope is null ? "" : " AND tenant_key = @scope"),
            r => (Agent: r.GetInt64(0), User: r.GetInt64(1), TenantKey: r.GetString(2)), ("@id", sessionId), ("@scope", scope));
        if (session.Count > 1) throw Tenants.Ambiguous("session", sessionId, session.Select(s => s.TenantKey));
        if (session.Count == 0) return null;
        var (op, order) = q.Descending ? ("<", "DESC") : (">", "ASC");
        var rows = await db.QueryRowsAsync(conn, ct,
            $"SELECT {MessageColumns} FROM parley_messages WHERE tenant_key = @tk AND session_id = @id" + (after is null ? "" : $" AND session_seq {op} @after") +
            $" ORDER BY session_seq {order} LIMIT @limit",
            r => Message(r), ("@id", sessionId), ("@tk", session[0].TenantKey), ("@after", after), ("@limit", q.Limit + 1));
        var next = rows.Count > q.Limit ? Cursors.Encode('t', rows[q.Limit - 1].SessionSeq) : null;
        return new CursorPage<Message>([.. rows.Take(q.Limit).Select(m => Mapping.ToMessage(m, session[0].Agent, session[0].User))], next);
    }

    /// <summary>Messages newest first. The messages are one query and their sessions' read markers a second (in one
    /// snapshot): joining the sessions lets a planner start from the one session a tenant filter names and sort every
    /// message of it (MariaDB 10.11 chose that, with a temporary table on disk).</summary>
    public static async Task<CursorPage<Message>> SearchAsync(this ReadDatabase db, MessageQuery q, string? scope, CancellationToken ct)
    {
        var before = Cursors.Decode(q.Cursor, 'm');
        var sql = new StringBuilder($"SELECT m.row_id, {MessageColumnsM} FROM parley_messages m WHERE 1 = 1");
        var args = new List<(string, object?)>();
        void Add(string condition, string name, object? value)
        {
            sql.Append(" AND ").Append(condition);
            args.Add((name, value));
        }
        if (q.Status is { } status) Add("m.status = @status", "@status", WireNames.Of(status));
        if (q.Channel is not null) Add("m.channel = @channel", "@channel", q.Channel);
        if (q.Recipient is not null) Add("m.recipient = @recipient", "@recipient", q.Recipient);
        if (q.ProviderMessageId is not null) Add("m.provider_message_id = @provider", "@provider", q.ProviderMessageId);
        if (q.Since is { } since) Add("m.created_at >= @since", "@since", since);
        if (q.Until is { } until) Add("m.created_at < @until", "@until", until);
        // A session's tenant_key is its tenant: the filter needs no join.
        if (q.Tenant is not null) Add("m.tenant_key = @tenant", "@tenant", q.Tenant);
        if (scope is not null) Add("m.tenant_key = @scope", "@scope", scope);
        if (before is not null) Add("m.row_id < @before", "@before", before);
        sql.Append(" ORDER BY m.row_id DESC LIMIT @limit");
        args.Add(("@limit", q.Limit + 1));

        await using var conn = await db.OpenAsync(ct);
        await using var snapshot = await db.SnapshotAsync(conn, ct);
        var rows = await db.QueryRowsAsync(conn, ct, sql.ToString(), r => (RowId: r.GetInt64(0), Row: Message(r, 1)), [.. args]);
        var page = rows.Take(q.Limit).ToList();
        var markers = await MarkersAsync(db, conn, page.Select(x => (x.Row.TenantKey, x.Row.SessionId)), ct);
        var next = rows.Count > q.Limit ? Cursors.Encode('m', rows[q.Limit - 1].RowId) : null;
        return new CursorPage<Message>([.. page.Select(x => markers.TryGetValue((x.Row.TenantKey, x.Row.SessionId), out var m)
            ? Mapping.ToMessage(x.Row, m.Agent, m.User) : Mapping.ToMessage(x.Row, 0, 0))], next);
    }

    /// <summary>The read markers of these sessions.</summary>
    private static async Task<Dictionary<(string, string), (long Agent, long User)>> MarkersAsync(ReadDatabase db, DbConnection conn, IEnumerable<(string TenantKey, string Id)> sessions, CancellationToken ct)
    {
        var wanted = sessions.ToHashSet();
        var result = new Dictionary<(string, string), (long, long)>();
        var ids = wanted.Select(s => s.Id).Distinct(StringComparer.Ordinal).ToList();
        if (ids.Count == 0) return result;
        var (list, args) = ReadDatabase.InList(ids);
        foreach (var row in await db.QueryRowsAsync(conn, ct, $"SELECT tenant_key, id, agent_read_seq, user_read_seq FROM parley_sessions WHERE id IN ({list})",
                     r => (Key: (r.GetString(0), r.GetString(1)), Agent: r.GetInt64(2), User: r.GetInt64(3)), args))
        {
            if (wanted.Contains(row.Key)) result[row.Key] = (row.Agent, row.User);
        }
        return result;
    }

    private static (long RowId, MessageRow? Row, long AgentSeq, long UserSeq, string? Tenant) ReadMessage(DbDataReader r) =>
        (r.GetInt64(0), Message(r, 1), r.GetInt64(30), r.GetInt64(31), r.IsDBNull(32) ? null : r.GetString(32));
}
