using Parley.Internal.Sessions;
using static Parley.Internal.Kernel.RowReaders;

namespace Parley.Internal.Kernel;

// AdoWriteStore: the session and summary-count statements (ISessionWrites).
internal abstract partial class AdoWriteStore
{
    private readonly string _loadSession = $"SELECT {SessionColumns} FROM parley_sessions WHERE tenant_key = @p0 AND id = @p1{flavor.ForUpdate}";
    private readonly string _loadSessionsNamed = $"SELECT {SessionColumns} FROM parley_sessions WHERE id = @p0 ORDER BY tenant_key{flavor.ForUpdate}";

    // No Flush: nothing buffered changes a session row (a transaction writes its sessions back only at its end).
    public SessionRow? LoadSession(string tenantKey, string id)
    {
        using var r = Cmd(_loadSession, tenantKey, id).ExecuteReader();
        return r.Read() ? Session(r) : null;
    }

    public List<SessionRow> LoadSessionsNamed(string id) => ReadAll(Cmd(_loadSessionsNamed, id), r => Session(r));

    public List<SessionRow> LoadSessions(IReadOnlyList<string> ids)
    {
        if (!PrefetchReads) return [];
        var rows = new List<SessionRow>(ids.Count);
        // Every tenant's session with each id, locked in the order of the id index, the same in every process.
        foreach (var chunk in ids.Chunk(500))
        {
            using var cmd = Uncached($"SELECT {SessionColumns} FROM parley_sessions WHERE id IN ({Params(chunk.Length)}){flavor.ForUpdate}", chunk);
            rows.AddRange(ReadAll(cmd, r => Session(r)));
        }
        return rows;
    }

    public void InsertSession(SessionRow s) => Exec(
        $"INSERT INTO parley_sessions ({SessionColumns}, tenant_key) VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9, @p10, @p11, @p12, @p13, @p14, @p15, @p16, @p17, @p18)",
        s.Id, s.Kind, s.Title, s.Tenant, s.UserAccount, WireNames.Of(s.Status), s.StartedAt, s.EndedAt, s.UpdatedAt,
        new JsonText(s.MetadataJson), s.MessageCount, s.FirstMessageAt, s.LastMessageAt, s.LastSeq, s.AgentReadSeq, s.UserReadSeq,
        s.UnreadForAgent, s.UnreadForUser, s.TenantKey);

    public void UpdateSession(SessionRow s) => Defer(
        "UPDATE parley_sessions SET title = @p1, status = @p2, ended_at = @p3, updated_at = @p4, metadata = @p5, message_count = @p6, " +
        "first_message_at = @p7, last_message_at = @p8, last_seq = @p9, agent_read_seq = @p10, user_read_seq = @p11, " +
        "unread_for_agent = @p12, unread_for_user = @p13 WHERE tenant_key = @p14 AND id = @p0",
        s.Id, s.Title, WireNames.Of(s.Status), s.EndedAt, s.UpdatedAt, new JsonText(s.MetadataJson), s.MessageCount,
        s.FirstMessageAt, s.LastMessageAt, s.LastSeq, s.AgentReadSeq, s.UserReadSeq, s.UnreadForAgent, s.UnreadForUser, s.TenantKey);

    // A second statement, because the trigger fires only when an update leaves updated_at as it was; and only where the
    // trigger did fire, since setting it to its own value would fire it again.
    public void KeepUpdatedAt(SessionRow s) =>
        Defer("UPDATE parley_sessions SET updated_at = @p0 WHERE tenant_key = @p1 AND id = @p2 AND updated_at <> @p0", s.UpdatedAt, s.TenantKey, s.Id);

    public bool DeleteSession(string tenantKey, string id)
    {
        Forget();
        Flush();
        return Exec("DELETE FROM parley_sessions WHERE tenant_key = @p0 AND id = @p1", tenantKey, id) > 0;
    }

    public void AddFacet(string tenantKey, string sessionId, string facet, string value, long delta) =>
        Defer(flavor.UpsertFacet, tenantKey, sessionId, facet, value, delta);

    public void AddFacets(IReadOnlyList<FacetDelta> deltas)
    {
        if (!Connection.CanCreateBatch || deltas.Count == 1)
        {
            foreach (var d in deltas) AddFacet(d.TenantKey, d.SessionId, d.Facet, d.Value, d.Delta);
            return;
        }
        foreach (var chunk in deltas.Chunk(250))
            Defer(flavor.UpsertFacets(chunk.Length), [.. chunk.SelectMany(d => (object?[])[d.TenantKey, d.SessionId, d.Facet, d.Value, d.Delta])]);
    }
}
