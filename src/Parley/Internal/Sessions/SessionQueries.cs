using System.Data.Common;
using System.Text;
using Parley.Internal.Kernel;
using static Parley.Internal.Kernel.RowReaders;

namespace Parley.Internal.Sessions;

/// <summary>The reads of sessions (docs/http-api.md, "Sessions"): one session with its summary counts, and a page of
/// sessions filtered and ordered by last change.</summary>
internal static class SessionQueries
{
    public static async Task<Session?> GetSessionAsync(this ReadDatabase db, string? scope, string id, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        await using var snapshot = await db.SnapshotAsync(conn, ct);
        var rows = await db.QueryRowsAsync(conn, ct, $"SELECT {SessionColumns} FROM parley_sessions WHERE id = @id" + (scope is null ? "" : " AND tenant_key = @scope"),
            r => Session(r), ("@id", id), ("@scope", scope));
        if (rows.Count > 1) throw Tenants.Ambiguous("session", id, rows.Select(r => r.TenantKey));
        return rows.Count == 0 ? null : Mapping.ToSession(rows[0], (await FacetsAsync(db, conn, rows, ct))[(rows[0].TenantKey, id)]);
    }

    public static async Task<Page<Session>> ListSessionsAsync(this ReadDatabase db, SessionQuery q, string? scope, CancellationToken ct)
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

        await using var conn = await db.OpenAsync(ct);
        await using var snapshot = await db.SnapshotAsync(conn, ct);
        var total = (await db.QueryRowsAsync(conn, ct, "SELECT count(*) FROM parley_sessions" + where, r => r.GetInt64(0), [.. args]))[0];
        args.Add(("@limit", q.PerPage));
        args.Add(("@offset", (long)(q.Page - 1) * q.PerPage));
        var rows = await db.QueryRowsAsync(conn, ct, $"SELECT {SessionColumns} FROM parley_sessions{where} ORDER BY updated_at DESC, id DESC LIMIT @limit OFFSET @offset",
            r => Session(r), [.. args]);
        var facets = await FacetsAsync(db, conn, rows, ct);
        return new Page<Session>([.. rows.Select(r => Mapping.ToSession(r, facets[(r.TenantKey, r.Id)]))], q.Page, q.PerPage, total);
    }

    private static async Task<Dictionary<(string, string), List<(string, string, long)>>> FacetsAsync(ReadDatabase db, DbConnection conn, List<SessionRow> sessions, CancellationToken ct)
    {
        var result = sessions.ToDictionary(s => (s.TenantKey, s.Id), _ => new List<(string, string, long)>());
        if (sessions.Count == 0) return result;
        var ids = sessions.Select(s => s.Id).Distinct(StringComparer.Ordinal).ToList();
        var (list, args) = ReadDatabase.InList(ids);
        var rows = await db.QueryRowsAsync(conn, ct,
            $"SELECT tenant_key, session_id, facet, value, n FROM parley_session_facets WHERE session_id IN ({list})",
            r => (TenantKey: r.GetString(0), Session: r.GetString(1), Facet: r.GetString(2), Value: r.GetString(3), N: r.GetInt64(4)), args);
        foreach (var f in rows)
        {
            if (result.TryGetValue((f.TenantKey, f.Session), out var counts)) counts.Add((f.Facet, f.Value, f.N));
        }
        return result;
    }

    private static string EscapeLike(string text) =>
        text.Replace("!", "!!", StringComparison.Ordinal).Replace("%", "!%", StringComparison.Ordinal).Replace("_", "!_", StringComparison.Ordinal);
}
