namespace Parley.Internal.Writing;

/// <summary>A change to one of a session's summary counts (status, channel or template).</summary>
internal readonly record struct FacetDelta(string TenantKey, string SessionId, string Facet, string Value, long Delta);

/// <summary>What the writer needs from an engine, called only from the writer thread inside
/// <see cref="Begin"/> … <see cref="Commit"/>. Engine code implements it (SQLite: <c>SqliteWriteStore</c>); the
/// rules that decide what to write live in the operations, never here.</summary>
internal abstract class WriteStore : IDisposable
{
    public abstract void Begin();
    public abstract void Commit();
    public abstract void Rollback();

    /// <summary>Runs on the writer thread after a commit's callers have been answered, outside any transaction: an
    /// engine's housekeeping that needs the write connection (SQLite restarts its WAL here).</summary>
    public virtual void AfterCommit()
    {
    }

    /// <summary>Whether a failure is worth retrying (a lock held by another process, a dropped connection).</summary>
    public abstract bool IsTransient(Exception error);

    /// <summary>Whether a failure means the database cannot take writes right now — unreachable, locked, read-only,
    /// out of space — so that a write may go to the spool instead. A failure of one write itself is not.</summary>
    public virtual bool IsUnavailable(Exception error) => IsTransient(error) || error is IOException;

    /// <summary>Whether a failure is a unique key that another writer took after this transaction looked for it (a
    /// second process logging the same message id): running the write again lets its reads see that row.</summary>
    public virtual bool IsDuplicate(Exception error) => false;

    /// <summary>The session with this id in this tenant's namespace (<see cref="SessionRow.TenantKey"/>), or null.</summary>
    public abstract SessionRow? LoadSession(string tenantKey, string id);

    /// <summary>Every tenant's session with this id (for a caller not confined to one tenant).</summary>
    public abstract List<SessionRow> LoadSessionsNamed(string id);

    /// <summary>Every tenant's sessions with these ids, loaded at once where each read is a round trip (server
    /// engines); elsewhere none, and <see cref="LoadSession"/> loads each when asked.</summary>
    public virtual List<SessionRow> LoadSessions(IReadOnlyList<string> ids) => [];
    public abstract void InsertSession(SessionRow session);
    /// <summary>Writes every mutable field and counter of the session.</summary>
    public abstract void UpdateSession(SessionRow session);
    public abstract bool DeleteSession(string tenantKey, string id);
    public abstract void AddFacet(string tenantKey, string sessionId, string facet, string value, long delta);

    /// <summary>Adds to many facets' counts (each facet once); where statements are round trips, in one statement.</summary>
    public virtual void AddFacets(IReadOnlyList<FacetDelta> deltas)
    {
        foreach (var d in deltas) AddFacet(d.TenantKey, d.SessionId, d.Facet, d.Value, d.Delta);
    }

    public abstract MessageRow? FindMessage(string tenantKey, string id);
    /// <summary>Every tenant's message with this id (for a caller not confined to one tenant).</summary>
    public abstract List<MessageRow> FindMessagesNamed(string id);
    public abstract MessageRow? FindMessageByKey(string tenantKey, string sessionId, string idempotencyKey);
    /// <summary>Messages carrying a provider id, on one channel or (null) on any, in one tenant or (null) in any.</summary>
    public abstract List<MessageRow> FindMessagesByProvider(string? tenantKey, string providerMessageId, string? channel);

    /// <summary>Says which messages a batch of reports is about, so that an engine for which each read is a round
    /// trip can load them (and their events) at once. The finds that follow must answer exactly as without it.</summary>
    public virtual void Prefetch(IReadOnlyCollection<string> messageIds, IReadOnlyCollection<string> providerIds)
    {
    }
    public abstract void InsertMessage(MessageRow message);
    /// <summary>Writes the delivery state, provider id and <c>updated_at</c>.</summary>
    public abstract void UpdateDelivery(MessageRow message);
    public abstract long? SeqOf(string tenantKey, string sessionId, string messageId);
    /// <summary>The session's messages with <c>after &lt; seq &lt;= upTo</c>, in order.</summary>
    public abstract List<MessageRow> MessagesBetween(string tenantKey, string sessionId, long after, long upTo);
    /// <summary>Messages past <paramref name="after"/> that <paramref name="reader"/> reads.</summary>
    public abstract long CountUnread(string tenantKey, string sessionId, Reader reader, long after);

    /// <summary>Up to <paramref name="limit"/> of the oldest messages created before <paramref name="cutoff"/>.</summary>
    public abstract List<MessageRow> OldestBefore(DateTimeOffset cutoff, int limit);
    public abstract long CountBefore(DateTimeOffset cutoff);
    /// <summary>Deletes a message; its events go with it (the foreign key cascades).</summary>
    public abstract void DeleteMessage(string tenantKey, string id);
    /// <summary>The earliest <c>created_at</c> at or after <paramref name="from"/> of a session's messages, or null.
    /// Retention's question: found through the <c>created_at</c> index, never by scanning the session.</summary>
    public abstract DateTimeOffset? FirstCreatedFrom(string tenantKey, string sessionId, DateTimeOffset from);

    public abstract bool EventExists(string tenantKey, string messageId, MessageStatus status, DateTimeOffset occurredAt, string? errorCode);
    public abstract void InsertEvent(EventRow e);

    public abstract void Park(ParkedRow report);
    /// <summary>Removes and returns, oldest first, the parked reports a message of this tenant with this provider id
    /// and channel takes: its tenant's and those parked by unscoped callers.</summary>
    public abstract List<ParkedRow> TakeParked(string tenantKey, string providerMessageId, string channel);
    /// <summary>Removes and returns the parked reports received before <paramref name="before"/>.</summary>
    public abstract List<ParkedRow> ExpireParked(DateTimeOffset before);

    public abstract void InsertApiKey(ApiKey key, string hash);
    public abstract bool RevokeApiKey(string id, DateTimeOffset at);

    public abstract void InsertSystemEvent(SystemEventLevel level, string source, string name, string? detailJson, DateTimeOffset at);

    /// <summary>A setting of the writer's own connection (diagnostics and tests).</summary>
    public abstract object? ReadSetting(string name);

    public abstract void Dispose();
}
