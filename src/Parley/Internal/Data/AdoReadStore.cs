using System.Data.Common;
using System.Text;
using static Parley.Internal.Data.RowReaders;

namespace Parley.Internal.Data;

/// <summary>Every engine's queries, on pooled connections the engine opens (SQLite: read-only connections that WAL
/// lets run beside the writer). Each multi-statement read runs in one read-only transaction so it sees one
/// snapshot.</summary>
internal sealed class AdoReadStore(Func<DbConnection> open, SqlFlavor flavor, Action? clearPool = null)
{
    private const string MessageWithMarkers =
        $"SELECT m.row_id, {MessageColumnsM}, s.agent_read_seq, s.user_read_seq, s.tenant FROM parley_messages m JOIN parley_sessions s ON s.id = m.session_id";

    private const string MessageColumnsM =
        "m.id, m.session_id, m.session_seq, m.idempotency_key, m.direction, m.sender_type, m.sender_id, m.sender_name, m.channel, " +
        "m.recipient, m.template, m.subject, m.content, m.status, m.sent_at, m.delivered_at, m.read_at, m.failed_at, m.cancelled_at, " +
        "m.sent_implied, m.delivered_implied, m.provider_message_id, m.error_code, m.error_message, m.error_at, m.metadata, " +
        "m.created_at, m.updated_at";

    /// <summary>Closes this database's pooled read connections (SQLite: so the file can be moved or deleted).</summary>
    public void ClearPool() => clearPool?.Invoke();

    private DbConnection Open() => open();

    public Session? GetSession(string id, string? tenant)
    {
        using var conn = Open();
        using var snapshot = new ReadSnapshot(conn, flavor);
        var row = QueryRows(conn, $"SELECT {SessionColumns} FROM parley_sessions WHERE id = @id" + (tenant is null ? "" : " AND tenant = @tenant"),
            r => Session(r), ("@id", id), ("@tenant", tenant)).FirstOrDefault();
        return row is null ? null : Mapping.ToSession(row, Facets(conn, [row.Id])[row.Id]);
    }

    public Page<Session> ListSessions(SessionQuery q)
    {
        var where = new StringBuilder(" WHERE 1 = 1");
        var args = new List<(string, object?)>();
        void Add(string condition, string name, object? value)
        {
            where.Append(" AND ").Append(condition);
            args.Add((name, value));
        }
        if (q.Status is { } status) Add("status = @status", "@status", WireNames.Of(status));
        if (q.Kind is not null) Add("kind = @kind", "@kind", q.Kind);
        if (q.Tenant is not null) Add("tenant = @tenant", "@tenant", q.Tenant);
        if (q.Since is { } since) Add("started_at >= @since", "@since", since);
        if (q.Until is { } until) Add("started_at < @until", "@until", until);
        if (q.Channel is not null)
            Add("EXISTS (SELECT 1 FROM parley_session_facets f WHERE f.session_id = parley_sessions.id AND f.facet = 'channel' AND f.value = @channel AND f.n > 0)", "@channel", q.Channel);
        if (!string.IsNullOrEmpty(q.Text))
            Add("(lower(title) LIKE lower(@text) ESCAPE '!' OR id LIKE @text ESCAPE '!')", "@text", "%" + EscapeLike(q.Text) + "%");

        using var conn = Open();
        using var snapshot = new ReadSnapshot(conn, flavor);
        var total = QueryRows(conn, "SELECT count(*) FROM parley_sessions" + where, r => r.GetInt64(0), [.. args])[0];
        args.Add(("@limit", q.PerPage));
        args.Add(("@offset", (long)(q.Page - 1) * q.PerPage));
        var rows = QueryRows(conn, $"SELECT {SessionColumns} FROM parley_sessions{where} ORDER BY updated_at DESC, id DESC LIMIT @limit OFFSET @offset",
            r => Session(r), [.. args]);
        var facets = Facets(conn, rows.Select(r => r.Id).ToList());
        return new Page<Session>([.. rows.Select(r => Mapping.ToSession(r, facets[r.Id]))], q.Page, q.PerPage, total);
    }

    public Message? GetMessage(string id, string? tenant)
    {
        using var conn = Open();
        using var snapshot = new ReadSnapshot(conn, flavor);
        var found = QueryRows(conn, MessageWithMarkers + " WHERE m.id = @id", ReadMessage, ("@id", id)).FirstOrDefault();
        if (found.Row is null || (tenant is not null && found.Tenant != tenant)) return null;
        var events = QueryRows(conn, $"SELECT {EventColumns} FROM parley_message_events WHERE message_id = @id ORDER BY id",
            r => Mapping.ToEvent(Event(r)), ("@id", id));
        return Mapping.ToMessage(found.Row, found.AgentSeq, found.UserSeq, events);
    }

    public CursorPage<Message>? Transcript(string sessionId, TranscriptQuery q, string? tenant)
    {
        var after = Cursors.Decode(q.Cursor, 't');
        using var conn = Open();
        using var snapshot = new ReadSnapshot(conn, flavor);
        var session = QueryRows(conn, "SELECT agent_read_seq, user_read_seq, tenant FROM parley_sessions WHERE id = @id",
            r => (Agent: r.GetInt64(0), User: r.GetInt64(1), Tenant: r.IsDBNull(2) ? null : r.GetString(2)), ("@id", sessionId));
        if (session.Count == 0 || (tenant is not null && session[0].Tenant != tenant)) return null;
        var (op, order) = q.Descending ? ("<", "DESC") : (">", "ASC");
        var rows = QueryRows(conn,
            $"SELECT {MessageColumns} FROM parley_messages WHERE session_id = @id" + (after is null ? "" : $" AND session_seq {op} @after") +
            $" ORDER BY session_seq {order} LIMIT @limit",
            r => Message(r), ("@id", sessionId), ("@after", after), ("@limit", q.Limit + 1));
        var next = rows.Count > q.Limit ? Cursors.Encode('t', rows[q.Limit - 1].SessionSeq) : null;
        return new CursorPage<Message>([.. rows.Take(q.Limit).Select(m => Mapping.ToMessage(m, session[0].Agent, session[0].User))], next);
    }

    public CursorPage<Message> Search(MessageQuery q)
    {
        var before = Cursors.Decode(q.Cursor, 'm');
        var sql = new StringBuilder(MessageWithMarkers).Append(" WHERE 1 = 1");
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
        if (q.Tenant is not null) Add("s.tenant = @tenant", "@tenant", q.Tenant);
        if (before is not null) Add("m.row_id < @before", "@before", before);
        sql.Append(" ORDER BY m.row_id DESC LIMIT @limit");
        args.Add(("@limit", q.Limit + 1));

        using var conn = Open();
        var rows = QueryRows(conn, sql.ToString(), ReadMessage, [.. args]);
        var next = rows.Count > q.Limit ? Cursors.Encode('m', rows[q.Limit - 1].RowId) : null;
        return new CursorPage<Message>([.. rows.Take(q.Limit).Select(x => Mapping.ToMessage(x.Row!, x.AgentSeq, x.UserSeq))], next);
    }

    public IReadOnlyList<SystemEvent> SystemEvents(SystemEventLevel? level, int limit)
    {
        using var conn = Open();
        return QueryRows(conn,
            "SELECT id, level, source, event, detail, at FROM parley_system_events" + (level is null ? "" : " WHERE level = @level") +
            " ORDER BY id DESC LIMIT @limit",
            r => new SystemEvent
            {
                Id = r.GetInt64(0),
                Level = WireNames.Level(r.GetString(1)),
                Source = r.GetString(2),
                Event = r.GetString(3),
                Detail = Mapping.Json(r.IsDBNull(4) ? null : r.GetString(4)),
                At = TimeAt(r, 5),
            },
            ("@level", level is { } l ? WireNames.Of(l) : null), ("@limit", limit));
    }

    public IReadOnlyList<ApiKey> ApiKeys()
    {
        using var conn = Open();
        return QueryRows(conn, "SELECT id, tenant, admin, name, created_at, revoked_at FROM parley_api_keys ORDER BY created_at, id", ReadKey);
    }

    /// <summary>The key with this id and its stored hash, or null.</summary>
    public (ApiKey Key, string Hash)? ApiKey(string id)
    {
        using var conn = Open();
        return QueryRows(conn, "SELECT id, tenant, admin, name, created_at, revoked_at, hash FROM parley_api_keys WHERE id = @id",
            r => ((ApiKey Key, string Hash)?)(ReadKey(r), r.GetString(6)), ("@id", id)).FirstOrDefault();
    }

    private static ApiKey ReadKey(DbDataReader r) => new(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), Flag(r, 2),
        r.IsDBNull(3) ? null : r.GetString(3), TimeAt(r, 4), Time(r, 5));

    private static (long RowId, MessageRow? Row, long AgentSeq, long UserSeq, string? Tenant) ReadMessage(DbDataReader r) =>
        (r.GetInt64(0), Message(r, 1), r.GetInt64(29), r.GetInt64(30), r.IsDBNull(31) ? null : r.GetString(31));

    private Dictionary<string, List<(string, string, long)>> Facets(DbConnection conn, List<string> sessionIds)
    {
        var result = sessionIds.ToDictionary(id => id, _ => new List<(string, string, long)>(), StringComparer.Ordinal);
        if (sessionIds.Count == 0) return result;
        var names = sessionIds.Select((_, i) => $"@s{i}").ToList();
        var rows = QueryRows(conn,
            $"SELECT session_id, facet, value, n FROM parley_session_facets WHERE session_id IN ({string.Join(", ", names)})",
            r => (Session: r.GetString(0), Facet: r.GetString(1), Value: r.GetString(2), N: r.GetInt64(3)),
            [.. sessionIds.Select((id, i) => (names[i], (object?)id))]);
        foreach (var f in rows) result[f.Session].Add((f.Facet, f.Value, f.N));
        return result;
    }

    private static string EscapeLike(string text) =>
        text.Replace("!", "!!", StringComparison.Ordinal).Replace("%", "!%", StringComparison.Ordinal).Replace("_", "!_", StringComparison.Ordinal);

    private List<T> QueryRows<T>(DbConnection conn, string sql, Func<DbDataReader, T> read, params (string Name, object? Value)[] args)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in args)
        {
            if (!sql.Contains(name, StringComparison.Ordinal)) continue;
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            flavor.Bind(p, value);
            cmd.Parameters.Add(p);
        }
        var list = new List<T>();
        using var r = cmd.ExecuteReader();
        while (r.Read()) list.Add(read(r));
        return list;
    }

    /// <summary>A read transaction begun with plain SQL, so commands need no transaction object.</summary>
    private sealed class ReadSnapshot : IDisposable
    {
        private readonly DbConnection _conn;

        public ReadSnapshot(DbConnection conn, SqlFlavor flavor)
        {
            _conn = conn;
            Run(flavor.BeginSnapshot);
        }

        public void Dispose() => Run("COMMIT");

        private void Run(string sql)
        {
            using var cmd = _conn.CreateCommand();
            cmd.CommandText = sql;
            cmd.ExecuteNonQuery();
        }
    }
}
