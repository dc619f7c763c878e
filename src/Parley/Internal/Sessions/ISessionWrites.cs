namespace Parley.Internal.Sessions;

/// <summary>What the writer reads and writes of sessions and their summary counts, inside its transaction
/// (<see cref="Kernel.WriteStore.Sessions"/>).</summary>
internal interface ISessionWrites
{
    /// <summary>The session with this id in this tenant's namespace (<see cref="SessionRow.TenantKey"/>), or null.</summary>
    SessionRow? LoadSession(string tenantKey, string id);

    /// <summary>Every tenant's session with this id (for a caller not confined to one tenant).</summary>
    List<SessionRow> LoadSessionsNamed(string id);

    /// <summary>Every tenant's sessions with these ids, loaded at once where each read is a round trip (server
    /// engines); elsewhere none, and <see cref="LoadSession"/> loads each when asked.</summary>
    List<SessionRow> LoadSessions(IReadOnlyList<string> ids);
    void InsertSession(SessionRow session);
    /// <summary>Writes every mutable field and counter of the session.</summary>
    void UpdateSession(SessionRow session);
    /// <summary>Sets <c>updated_at</c> back to the row's after <see cref="UpdateSession"/>, whose unchanged
    /// <c>updated_at</c> the database's trigger replaces with the time of the update (an import keeps the source's).</summary>
    void KeepUpdatedAt(SessionRow session);
    bool DeleteSession(string tenantKey, string id);
    void AddFacet(string tenantKey, string sessionId, string facet, string value, long delta);

    /// <summary>Adds to many facets' counts (each facet once); where statements are round trips, in one statement.</summary>
    void AddFacets(IReadOnlyList<FacetDelta> deltas);
}
