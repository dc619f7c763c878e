namespace Parley.Internal.Writing;

/// <summary>The state one transaction of the writer shares between its operations: the sessions they touched
/// (loaded once, written once at <see cref="Flush"/>) and the summary counts they moved. Cleared for every
/// transaction, so nothing survives a rollback.</summary>
internal sealed class WriteBatch
{
    public const string StatusFacet = "status";
    public const string ChannelFacet = "channel";
    public const string TemplateFacet = "template";

    private readonly Dictionary<string, SessionState> _sessions = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Session, string Facet, string Value), long> _facets = [];
    private readonly List<LedgerChange> _changes = [];

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

    public void Publish(Func<LedgerChange> change)
    {
        if (Publishing) _changes.Add(change());
    }

    public void Reset()
    {
        _sessions.Clear();
        _facets.Clear();
        _changes.Clear();
        Now = Timestamps.Now(Clock);
    }

    /// <summary>The session as this transaction sees it, or null when it does not exist.</summary>
    public SessionState? Session(string id)
    {
        if (_sessions.TryGetValue(id, out var state)) return state.Deleted ? null : state;
        var row = Store.LoadSession(id);
        if (row is null) return null;
        state = new SessionState(row);
        _sessions[id] = state;
        return state;
    }

    /// <summary>Loads, in one go where the engine can, the sessions the next operations will write to.</summary>
    public void Preload(IEnumerable<WriteOp> ops)
    {
        List<string>? ids = null;
        foreach (var op in ops)
        {
            if (op.SessionId is { } id && !_sessions.ContainsKey(id) && !(ids?.Contains(id) ?? false)) (ids ??= []).Add(id);
        }
        if (ids is not { Count: > 1 }) return;
        foreach (var row in Store.LoadSessions(ids)) _sessions.TryAdd(row.Id, new SessionState(row));
    }

    public SessionState RequireSession(string id, string field = "session_id") =>
        Session(id) ?? throw new ParleyNotFoundException($"session '{id}' does not exist.", field);

    public SessionState AddSession(SessionRow row)
    {
        Store.InsertSession(row);
        var state = new SessionState(row);
        _sessions[row.Id] = state;
        return state;
    }

    public void DeleteSession(string id)
    {
        _sessions[id] = new SessionState(null!) { Deleted = true };
        foreach (var key in _facets.Keys.Where(k => k.Session == id).ToList()) _facets.Remove(key);
    }

    public void AddFacet(string sessionId, string facet, string value, long delta)
    {
        var key = (sessionId, facet, value);
        _facets[key] = _facets.GetValueOrDefault(key) + delta;
    }

    /// <summary>Writes every touched session and the summary counts, just before commit.</summary>
    public void Flush()
    {
        foreach (var state in _sessions.Values)
        {
            if (state is { Dirty: true, Deleted: false }) Store.UpdateSession(state.Row);
        }
        var deltas = new List<FacetDelta>(_facets.Count);
        foreach (var ((session, facet, value), delta) in _facets)
        {
            if (delta != 0) deltas.Add(new FacetDelta(session, facet, value, delta));
        }
        if (deltas.Count > 0) Store.AddFacets(deltas);
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

    public long MarkerOf(Reader reader) => reader == Reader.Agent ? Row.AgentReadSeq : Row.UserReadSeq;
}
