using Parley.Internal;
using Parley.Internal.ReadMarkers;
using Parley.Internal.Sessions;

namespace Parley;

public sealed partial class Ledger
{
    /// <summary>Creates a session; an id the session's tenant already holds returns the stored session with
    /// <c>Created = false</c>. On a ledger confined to a tenant (<see cref="ForTenant"/>) the session is that tenant's,
    /// and naming another tenant is an <see cref="ArgumentException"/>.</summary>
    public async Task<SessionResult> CreateSessionAsync(NewSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (_scope is not null && session.Tenant is { } named && named != Tenant)
            throw new ArgumentException($"tenant '{named}' is not the tenant this ledger is confined to.", "tenant");
        var now = Now();
        var row = new SessionRow
        {
            Id = session.Id is null ? NewId() : Validate.Id(session.Id, "id"),
            Kind = session.Kind is null ? "chat" : Validate.RequiredText(session.Kind, "kind", 32),
            Title = Validate.Text(session.Title, "title", 200),
            Tenant = _scope is not null ? Tenant : Validate.Text(session.Tenant, "tenant", 128, allowEmpty: false),
            UserAccount = Validate.Text(session.UserAccount, "user_account", 255),
            MetadataJson = Validate.Json(session.Metadata, "metadata"),
            Status = SessionStatus.Active,
            StartedAt = session.StartedAt is { } started ? Timestamps.Truncate(started) : now,
            UpdatedAt = now,
        };
        if (await _writer.Enqueue(new CreateSessionOp(row), cancellationToken) is not { } created)
            return new SessionResult(Mapping.ToSession(row, []), Created: true) { Spooled = true };
        return new SessionResult(await RequireSession(row.TenantKey, row.Id), created);
    }

    /// <summary>A session with its summary, or null.</summary>
    public Task<Session?> GetSessionAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return ReadAsync(ct => _reader.GetSessionAsync(_scope, id, ct), cancellationToken);
    }

    /// <summary>Sessions, newest activity first.</summary>
    public Task<Page<Session>> ListSessionsAsync(SessionQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= new SessionQuery();
        Validate.Range(query.Page, 1, 1_000_000, "page");
        Validate.Range(query.PerPage, 1, 200, "per_page");
        if (query.Channel is not null) Validate.Slug(query.Channel, "channel");
        Validate.Text(query.Text, "q", 200);
        return ReadAsync(ct => _reader.ListSessionsAsync(query, _scope, ct), cancellationToken);
    }

    /// <summary>Changes a session's title or metadata.</summary>
    public async Task<Session> UpdateSessionAsync(string id, SessionPatch patch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(patch);
        var title = patch.Title.HasValue ? new Optional<string?>(Validate.Text(patch.Title.Value, "title", 200)) : default;
        var metadata = patch.Metadata.HasValue ? new Optional<string?>(Validate.Json(patch.Metadata.Value, "metadata")) : default;
        var tenantKey = await _writer.Enqueue(new UpdateSessionOp(_scope, id, title, metadata, endAt: null), cancellationToken);
        return await RequireSession(tenantKey, id);
    }

    /// <summary>Ends a session (status <c>ended</c>, <c>ended_at</c>); ending an ended session changes nothing.</summary>
    public async Task<Session> EndSessionAsync(string id, DateTimeOffset? at = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        var endAt = at is { } t ? Timestamps.Truncate(t) : Now();
        var tenantKey = await _writer.Enqueue(new UpdateSessionOp(_scope, id, default, default, endAt), cancellationToken);
        return await RequireSession(tenantKey, id);
    }

    /// <summary>Deletes a session with its messages, events and read markers; false when it did not exist.</summary>
    public async Task<bool> DeleteSessionAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return await _writer.Enqueue(new DeleteSessionOp(_scope, id), cancellationToken);
    }

    /// <summary>Moves a reader's marker forward (never back); every message it passes that the reader had not read
    /// gets a <c>read</c> report. Returns how many messages it marked.</summary>
    public async Task<int> MarkReadAsync(string sessionId, ReadMarker marker, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sessionId);
        ArgumentNullException.ThrowIfNull(marker);
        var reader = Validate.Defined(marker.Reader, "reader");
        var at = marker.At is { } t ? Timestamps.Truncate(t) : Now();
        var op = new MarkReadOp(_scope, sessionId, reader, marker.UpTo, at, "read_marker");
        return await _writer.Enqueue(op, cancellationToken);
    }

    // The session an operation just wrote, in the tenant it was written in.
    private async Task<Session> RequireSession(string tenantKey, string id) =>
        await ReadAsync(ct => _reader.GetSessionAsync(tenantKey, id, ct), CancellationToken.None)
        ?? throw new ParleyNotFoundException($"session '{id}' does not exist.", "id");
}
