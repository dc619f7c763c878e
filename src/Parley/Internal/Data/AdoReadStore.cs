using System.Data.Common;
using System.Text;
using static Parley.Internal.Data.RowReaders;

namespace Parley.Internal.Data;

/// <summary>Every engine's queries, on pooled connections the engine opens (SQLite: read-only connections that WAL
/// lets run beside the writer). Each multi-statement read runs in one read-only transaction so it sees one
/// snapshot. Every read is asynchronous and honours its cancellation token. <c>scope</c> is the caller's tenant key (docs/security.md, "Tenants"), or null for a caller not confined
/// to one: then an id held by several tenants is refused, naming them.</summary>
internal sealed class AdoReadStore(Func<CancellationToken, Task<DbConnection>> open, SqlFlavor flavor, Action? clearPool = null)
{
    private const string MessageWithMarkers =
        $"SELECT m.row_id, {MessageColumnsM}, s.agent_read_seq, s.user_read_seq, s.tenant FROM parley_messages m JOIN parley_sessions s ON s.tenant_key = m.tenant_key AND s.id = m.session_id";

    private const string MessageColumnsM =
        "m.id, m.session_id, m.session_seq, m.idempotency_key, m.direction, m.sender_type, m.sender_id, m.sender_name, m.channel, " +
        "m.recipient, m.template, m.subject, m.content, m.status, m.sent_at, m.delivered_at, m.read_at, m.failed_at, m.cancelled_at, " +
        "m.sent_implied, m.delivered_implied, m.provider_message_id, m.error_code, m.error_message, m.error_at, m.metadata, " +
        "m.created_at, m.updated_at, m.tenant_key";

    /// <summary>Closes this database's pooled read connections (SQLite: so the file can be moved or deleted).</summary>
    public void ClearPool() => clearPool?.Invoke();

    private Task<DbConnection> OpenAsync(CancellationToken ct) => open(ct);

    public async Task<Session?> GetSessionAsync(string? scope, string id, CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        await using var snapshot = await ReadSnapshot.BeginAsync(conn, flavor, ct);
        var rows = await QueryRowsAsync(conn, ct, $"SELECT {SessionColumns} FROM parley_sessions WHERE id = @id" + (scope is null ? "" : " AND tenant_key = @scope"),
            r => Session(r), ("@id", id), ("@scope", scope));
        if (rows.Count > 1) throw Tenants.Ambiguous("session", id, rows.Select(r => r.TenantKey));
        return rows.Count == 0 ? null : Mapping.ToSession(rows[0], (await FacetsAsync(conn, rows, ct))[(rows[0].TenantKey, id)]);
    }

    public async Task<Page<Session>> ListSessionsAsync(SessionQuery q, string? scope, CancellationToken ct)
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
        // On tenant (indexed with updated_at), which a session's tenant_key mirrors.
        if (scope is { Length: > 0 }) Add("tenant = @scope", "@scope", scope);
        else if (scope is not null) where.Append(" AND tenant IS NULL");
        if (q.Since is { } since) Add("started_at >= @since", "@since", since);
        if (q.Until is { } until) Add("started_at < @until", "@until", until);
        if (q.Channel is not null)
            Add("EXISTS (SELECT 1 FROM parley_session_facets f WHERE f.tenant_key = parley_sessions.tenant_key AND f.session_id = parley_sessions.id AND f.facet = 'channel' AND f.value = @channel AND f.n > 0)", "@channel", q.Channel);
        if (!string.IsNullOrEmpty(q.Text))
            Add("(lower(title) LIKE lower(@text) ESCAPE '!' OR id LIKE @text ESCAPE '!')", "@text", "%" + EscapeLike(q.Text) + "%");

        await using var conn = await OpenAsync(ct);
        await using var snapshot = await ReadSnapshot.BeginAsync(conn, flavor, ct);
        var total = (await QueryRowsAsync(conn, ct, "SELECT count(*) FROM parley_sessions" + where, r => r.GetInt64(0), [.. args]))[0];
        args.Add(("@limit", q.PerPage));
        args.Add(("@offset", (long)(q.Page - 1) * q.PerPage));
        var rows = await QueryRowsAsync(conn, ct, $"SELECT {SessionColumns} FROM parley_sessions{where} ORDER BY updated_at DESC, id DESC LIMIT @limit OFFSET @offset",
            r => Session(r), [.. args]);
        var facets = await FacetsAsync(conn, rows, ct);
        return new Page<Session>([.. rows.Select(r => Mapping.ToSession(r, facets[(r.TenantKey, r.Id)]))], q.Page, q.PerPage, total);
    }

    public async Task<Message?> GetMessageAsync(string? scope, string id, CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        await using var snapshot = await ReadSnapshot.BeginAsync(conn, flavor, ct);
        var rows = await QueryRowsAsync(conn, ct, MessageWithMarkers + " WHERE m.id = @id" + (scope is null ? "" : " AND m.tenant_key = @scope"), ReadMessage,
            ("@id", id), ("@scope", scope));
        if (rows.Count > 1) throw Tenants.Ambiguous("message", id, rows.Select(r => r.Row!.TenantKey));
        if (rows.Count == 0) return null;
        var found = rows[0];
        var events = await QueryRowsAsync(conn, ct, $"SELECT {EventColumns} FROM parley_message_events WHERE tenant_key = @tk AND message_id = @id ORDER BY id",
            r => Mapping.ToEvent(Event(r)), ("@id", id), ("@tk", found.Row!.TenantKey));
        return Mapping.ToMessage(found.Row, found.AgentSeq, found.UserSeq, events);
    }

    public async Task<CursorPage<Message>?> TranscriptAsync(string sessionId, TranscriptQuery q, string? scope, CancellationToken ct)
    {
        var after = Cursors.Decode(q.Cursor, 't');
        await using var conn = await OpenAsync(ct);
        await using var snapshot = await ReadSnapshot.BeginAsync(conn, flavor, ct);
        var session = await QueryRowsAsync(conn, ct, "SELECT agent_read_seq, user_read_seq, tenant_key FROM parley_sessions WHERE id = @id" +
                                      (scope is null ? "" : " AND tenant_key = @scope"),
            r => (Agent: r.GetInt64(0), User: r.GetInt64(1), TenantKey: r.GetString(2)), ("@id", sessionId), ("@scope", scope));
        if (session.Count > 1) throw Tenants.Ambiguous("session", sessionId, session.Select(s => s.TenantKey));
        if (session.Count == 0) return null;
        var (op, order) = q.Descending ? ("<", "DESC") : (">", "ASC");
        var rows = await QueryRowsAsync(conn, ct,
            $"SELECT {MessageColumns} FROM parley_messages WHERE tenant_key = @tk AND session_id = @id" + (after is null ? "" : $" AND session_seq {op} @after") +
            $" ORDER BY session_seq {order} LIMIT @limit",
            r => Message(r), ("@id", sessionId), ("@tk", session[0].TenantKey), ("@after", after), ("@limit", q.Limit + 1));
        var next = rows.Count > q.Limit ? Cursors.Encode('t', rows[q.Limit - 1].SessionSeq) : null;
        return new CursorPage<Message>([.. rows.Take(q.Limit).Select(m => Mapping.ToMessage(m, session[0].Agent, session[0].User))], next);
    }

    /// <summary>Messages newest first. The messages are one query and their sessions' read markers a second (in one
    /// snapshot): joining the sessions lets a planner start from the one session a tenant filter names and sort every
    /// message of it (MariaDB 10.11 chose that, with a temporary table on disk).</summary>
    public async Task<CursorPage<Message>> SearchAsync(MessageQuery q, string? scope, CancellationToken ct)
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

        await using var conn = await OpenAsync(ct);
        await using var snapshot = await ReadSnapshot.BeginAsync(conn, flavor, ct);
        var rows = await QueryRowsAsync(conn, ct, sql.ToString(), r => (RowId: r.GetInt64(0), Row: Message(r, 1)), [.. args]);
        var page = rows.Take(q.Limit).ToList();
        var markers = await MarkersAsync(conn, page.Select(x => (x.Row.TenantKey, x.Row.SessionId)), ct);
        var next = rows.Count > q.Limit ? Cursors.Encode('m', rows[q.Limit - 1].RowId) : null;
        return new CursorPage<Message>([.. page.Select(x => markers.TryGetValue((x.Row.TenantKey, x.Row.SessionId), out var m)
            ? Mapping.ToMessage(x.Row, m.Agent, m.User) : Mapping.ToMessage(x.Row, 0, 0))], next);
    }

    /// <summary>The read markers of these sessions.</summary>
    private async Task<Dictionary<(string, string), (long Agent, long User)>> MarkersAsync(DbConnection conn, IEnumerable<(string TenantKey, string Id)> sessions, CancellationToken ct)
    {
        var wanted = sessions.ToHashSet();
        var result = new Dictionary<(string, string), (long, long)>();
        var ids = wanted.Select(s => s.Id).Distinct(StringComparer.Ordinal).ToList();
        if (ids.Count == 0) return result;
        var (list, args) = InList(ids);
        foreach (var row in await QueryRowsAsync(conn, ct, $"SELECT tenant_key, id, agent_read_seq, user_read_seq FROM parley_sessions WHERE id IN ({list})",
                     r => (Key: (r.GetString(0), r.GetString(1)), Agent: r.GetInt64(2), User: r.GetInt64(3)), args))
        {
            if (wanted.Contains(row.Key)) result[row.Key] = (row.Agent, row.User);
        }
        return result;
    }

    public async Task<IReadOnlyList<SystemEvent>> SystemEventsAsync(SystemEventLevel? level, int limit, CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        return await QueryRowsAsync(conn, ct,
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

    public async Task<IReadOnlyList<ApiKey>> ApiKeysAsync(CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        return await QueryRowsAsync(conn, ct, "SELECT id, tenant, admin, name, created_at, revoked_at FROM parley_api_keys ORDER BY created_at, id", ReadKey);
    }

    /// <summary>The key with this id and its stored hash, or null.</summary>
    public async Task<(ApiKey Key, string Hash)?> ApiKeyAsync(string id, CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        return (await QueryRowsAsync(conn, ct, "SELECT id, tenant, admin, name, created_at, revoked_at, hash FROM parley_api_keys WHERE id = @id",
            r => ((ApiKey Key, string Hash)?)(ReadKey(r), r.GetString(6)), ("@id", id))).FirstOrDefault();
    }

    private static ApiKey ReadKey(DbDataReader r) => new(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), Flag(r, 2),
        r.IsDBNull(3) ? null : r.GetString(3), TimeAt(r, 4), Time(r, 5));

    private static (long RowId, MessageRow? Row, long AgentSeq, long UserSeq, string? Tenant) ReadMessage(DbDataReader r) =>
        (r.GetInt64(0), Message(r, 1), r.GetInt64(30), r.GetInt64(31), r.IsDBNull(32) ? null : r.GetString(32));

    private async Task<Dictionary<(string, string), List<(string, string, long)>>> FacetsAsync(DbConnection conn, List<SessionRow> sessions, CancellationToken ct)
    {
        var result = sessions.ToDictionary(s => (s.TenantKey, s.Id), _ => new List<(string, string, long)>());
        if (sessions.Count == 0) return result;
        var ids = sessions.Select(s => s.Id).Distinct(StringComparer.Ordinal).ToList();
        var (list, args) = InList(ids);
        var rows = await QueryRowsAsync(conn, ct,
            $"SELECT tenant_key, session_id, facet, value, n FROM parley_session_facets WHERE session_id IN ({list})",
            r => (TenantKey: r.GetString(0), Session: r.GetString(1), Facet: r.GetString(2), Value: r.GetString(3), N: r.GetInt64(4)), args);
        foreach (var f in rows)
        {
            if (result.TryGetValue((f.TenantKey, f.Session), out var counts)) counts.Add((f.Facet, f.Value, f.N));
        }
        return result;
    }

    /// <summary>Session ids as an <c>IN (…)</c> list of parameters <c>@s0</c>, <c>@s1</c> … and their values.</summary>
    private static (string List, (string, object?)[] Args) InList(List<string> ids) =>
        (string.Join(", ", ids.Select((_, i) => $"@s{i}")), [.. ids.Select((id, i) => ($"@s{i}", (object?)id))]);

    private static string EscapeLike(string text) =>
        text.Replace("!", "!!", StringComparison.Ordinal).Replace("%", "!%", StringComparison.Ordinal).Replace("_", "!_", StringComparison.Ordinal);

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1068", Justification = "The query's arguments come last, as params.")]
    private async Task<List<T>> QueryRowsAsync<T>(DbConnection conn, CancellationToken ct, string sql, Func<DbDataReader, T> read,
        params (string Name, object? Value)[] args)
    {
        await using var cmd = conn.CreateCommand();
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
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add(read(r));
        return list;
    }

    /// <summary>A read transaction begun with plain SQL, so commands need no transaction object.</summary>
    private sealed class ReadSnapshot : IAsyncDisposable
    {
        private readonly DbConnection _conn;

        private ReadSnapshot(DbConnection conn) => _conn = conn;

        public static async Task<ReadSnapshot> BeginAsync(DbConnection conn, SqlFlavor flavor, CancellationToken ct)
        {
            var snapshot = new ReadSnapshot(conn);
            await snapshot.RunAsync(flavor.BeginSnapshot, ct);
            return snapshot;
        }

        // Not cancellable: a read that was cancelled still ends its transaction before the connection is pooled. A
        // read-only transaction that cannot end (its query was cancelled and the connection broken) holds nothing:
        // the pool resets or drops the connection, and the read's own error is the one the caller sees.
        public async ValueTask DisposeAsync()
        {
            try
            {
                await RunAsync("COMMIT", CancellationToken.None);
            }
            catch (Exception e) when (e is DbException or InvalidOperationException)
            {
            }
        }

        private async Task RunAsync(string sql, CancellationToken ct)
        {
            await using var cmd = _conn.CreateCommand();
            cmd.CommandText = sql;
            await cmd.ExecuteNonQueryAsync(ct);
        }
    }
}
