using Parley.Internal.Messages;
using Parley.Internal.Sessions;

namespace Parley.Internal.Kernel;

/// <summary>The state one transaction of the writer shares between its operations: the sessions they touched
/// (loaded once, written once at <see cref="Flush"/>) and the summary counts they moved. Cleared for every
/// transaction, so nothing survives a rollback.</summary>
internal sealed class WriteBatch
{
    public const string StatusFacet = "status";
    public const string ChannelFacet = "channel";
    public const string TemplateFacet = "template";

    // Sessions by (tenant key, id); and, for unscoped lookups, the tenant key of the one session holding an id
    // (null: several tenants hold it).
    private readonly Dictionary<(string TenantKey, string Id), SessionState> _sessions = [];
    private readonly Dictionary<string, string?> _named = new(StringComparer.Ordinal);
    private readonly Dictionary<(string TenantKey, string Session, string Facet, string Value), long> _facets = [];
    private readonly List<LedgerChange> _changes = [];
    private readonly Dictionary<string, long> _outcomes = new(StringComparer.Ordinal);

    public WriteBatch(WriteStore store, TimeProvider clock, TimeSpan parkedReportTtl)
    {
        Store = store;
        Clock = clock;
        ParkedReportTtl = parkedReportTtl;
    }

    public WriteStore Store { get; }
    public TimeProvider Clock { get; }
    public TimeSpan ParkedReportTtl { get; }

    /// <summary>The time this transaction started, used for <c>updated_at</c> and <c>recorded_at</c>.</summary>
    public DateTimeOffset Now { get; private set; }

    /// <summary>Whether anyone listens: changes are only built when they will be published.</summary>
    public bool Publishing { get; set; }

    /// <summary>Changes to publish once this transaction has committed.</summary>
    public IReadOnlyList<LedgerChange> Changes => _changes;

    /// <summary>Status reports this transaction stored, by outcome (<c>applied</c>, <c>stale</c>, <c>duplicate</c>,
    /// <c>parked</c>): counted once it commits (Telemetry).</summary>
    public IReadOnlyDictionary<string, long> Outcomes => _outcomes;

    /// <summary>The rollups this transaction moved (docs/analytics.md).</summary>
    public Analytics.StatsDeltas Stats { get; } = new();

    public void CountReport(string outcome) => _outcomes[outcome] = _outcomes.GetValueOrDefault(outcome) + 1;

    public void Publish(Func<LedgerChange> change)
    {
        if (Publishing) _changes.Add(change());
    }

    public void Reset()
    {
        _sessions.Clear();
        _named.Clear();
        _facets.Clear();
        _changes.Clear();
        _outcomes.Clear();
        Stats.Reset();
        Now = Timestamps.Now(Clock);
    }

    /// <summary>The session as this transaction sees it, or null when it does not exist. <paramref name="scope"/> is
    /// the caller's tenant key (<see cref="SessionRow.TenantKey"/>), or null for a caller not confined to one tenant:
    /// then the id is looked up in every tenant, and one held by several is refused, naming them.</summary>
    public SessionState? Session(string? scope, string id)
    {
        if (scope is not null) return InTenant(scope, id);
        if (_named.TryGetValue(id, out var known))
        {
            if (known is not null) return InTenant(known, id);
        }
        else
        {
            Remember(Store.Sessions.LoadSessionsNamed(id));
            known = _named.GetValueOrDefault(id);
            if (known is not null || !_named.ContainsKey(id)) return known is null ? null : InTenant(known, id);
        }
        var holders = _sessions.Where(p => p.Key.Id == id && !p.Value.Deleted).Select(p => p.Key.TenantKey).Order(StringComparer.Ordinal);
        throw Tenants.Ambiguous("session", id, holders);
    }

    private SessionState? InTenant(string tenantKey, string id)
    {
        if (_sessions.TryGetValue((tenantKey, id), out var state)) return state.Deleted ? null : state;
        var row = Store.Sessions.LoadSession(tenantKey, id);
        if (row is null) return null;
        state = new SessionState(row);
        _sessions[(tenantKey, id)] = state;
        return state;
    }

    // Keeps the rows loaded for ids (every tenant's), leaving alone those this transaction already holds.
    private void Remember(List<SessionRow> rows)
    {
        foreach (var group in rows.GroupBy(r => r.Id, StringComparer.Ordinal))
        {
            foreach (var row in group) _sessions.TryAdd((row.TenantKey, row.Id), new SessionState(row));
            var live = group.Select(r => r.TenantKey).Distinct(StringComparer.Ordinal).Where(t => !_sessions[(t, group.Key)].Deleted).Take(2).ToList();
            if (live.Count > 0) _named[group.Key] = live.Count == 1 ? live[0] : null;
        }
    }

    /// <summary>The message with this id as a caller in <paramref name="scope"/> names it (see <see cref="Session"/>).</summary>
    public MessageRow? Message(string? scope, string id)
    {
        if (scope is not null) return Store.Messages.FindMessage(scope, id);
        var found = Store.Messages.FindMessagesNamed(id);
        return found.Count switch
        {
            0 => null,
            1 => found[0],
            _ => throw Tenants.Ambiguous("message", id, found.Select(m => m.TenantKey)),
        };
    }

    /// <summary>Loads, in one go where the engine can, the sessions the next operations will write to.</summary>
    public void Preload(IEnumerable<WriteOp> ops)
    {
        List<string>? ids = null;
        foreach (var op in ops)
        {
            if (op.SessionId is { } id && !_named.ContainsKey(id) && !(ids?.Contains(id) ?? false)) (ids ??= []).Add(id);
        }
        if (ids is not { Count: > 1 }) return;
        Remember(Store.Sessions.LoadSessions(ids));
    }

    public SessionState RequireSession(string? scope, string id, string field = "session_id") =>
        Session(scope, id) ?? throw new ParleyNotFoundException($"session '{id}' does not exist.", field);

    public SessionState AddSession(SessionRow row)
    {
        Store.Sessions.InsertSession(row);
        var state = new SessionState(row);
        _sessions[(row.TenantKey, row.Id)] = state;
        if (_named.TryGetValue(row.Id, out var known) && known != row.TenantKey) _named[row.Id] = null;
        return state;
    }

    public void DeleteSession(string tenantKey, string id)
    {
        _sessions[(tenantKey, id)] = new SessionState(null!) { Deleted = true };
        _named.Remove(id);
        foreach (var key in _facets.Keys.Where(k => k.TenantKey == tenantKey && k.Session == id).ToList()) _facets.Remove(key);
    }

    public void AddFacet(string tenantKey, string sessionId, string facet, string value, long delta)
    {
        var key = (tenantKey, sessionId, facet, value);
        _facets[key] = _facets.GetValueOrDefault(key) + delta;
    }

    /// <summary>Writes every touched session and the summary counts, just before commit.</summary>
    public void Flush()
    {
        foreach (var state in _sessions.Values)
        {
            if (state is not { Dirty: true, Deleted: false }) continue;
            Store.Sessions.UpdateSession(state.Row);
            if (state.KeepsUpdatedAt) Store.Sessions.KeepUpdatedAt(state.Row);
        }
        var deltas = new List<FacetDelta>(_facets.Count);
        foreach (var ((tenantKey, session, facet, value), delta) in _facets)
        {
            if (delta != 0) deltas.Add(new FacetDelta(tenantKey, session, facet, value, delta));
        }
        if (deltas.Count > 0) Store.Sessions.AddFacets(deltas);
        Stats.Flush(Store.Stats);
    }
}

/// <summary>A session loaded into a transaction.</summary>
internal sealed class SessionState(SessionRow row)
{
    public SessionRow Row { get; } = row;
    public bool Dirty { get; private set; }
    public bool Deleted { get; init; }

    public void Touch(DateTimeOffset now)
    {
        if (now > Row.UpdatedAt) Row.UpdatedAt = now;
        Dirty = true;
    }

    /// <summary>The summary changed without new activity (retention): written back, <c>updated_at</c> kept.</summary>
    public void MarkChanged() => Dirty = true;

    /// <summary>Whether <c>updated_at</c> is the row's own even where the database would stamp the time of the update
    /// (an imported session keeps its source's).</summary>
    public bool KeepsUpdatedAt { get; private set; }

    /// <summary>Written back with its own <c>updated_at</c> (<see cref="KeepsUpdatedAt"/>).</summary>
    public void MarkImported()
    {
        Dirty = true;
        KeepsUpdatedAt = true;
    }

    public long MarkerOf(Reader reader) => reader == Reader.Agent ? Row.AgentReadSeq : Row.UserReadSeq;
}
