using System.Buffers;
using System.Net;
using System.Text.Json;
using Parley.Client.Internal;

namespace Parley.Client;

public sealed partial class ParleyClient
{
    /// <summary>Creates a session (<c>POST /api/v1/sessions</c>). An id the tenant already holds answers the stored
    /// session, unchanged, with <c>Created = false</c>. While the server's database is unavailable the session waits in
    /// its spool: <see cref="SessionResult.Spooled"/>, with the session as it will be stored.</summary>
    public async Task<SessionResult> CreateSessionAsync(NewSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var (stored, status) = await PostAsync("api/v1/sessions", session, ClientJson.Default.NewSession, ClientJson.Default.Session, cancellationToken).ConfigureAwait(false);
        return status == HttpStatusCode.Accepted
            ? new SessionResult(stored, Created: true) { Spooled = true }
            : new SessionResult(stored, Created: status == HttpStatusCode.Created);
    }

    /// <summary>A session with its summary, or null when there is none (in the caller's tenant).</summary>
    public Task<Session?> GetSessionAsync(string id, CancellationToken cancellationToken = default) =>
        FindAsync(SessionRoute(id, nameof(id)), Scoped(), ClientJson.Default.Session, cancellationToken);

    /// <summary>Sessions, newest activity first, a numbered page at a time. <see cref="SessionQuery.Tenant"/> is sent as
    /// <c>tenant=</c>, as <see cref="ForTenant"/> is.</summary>
    public async Task<Page<Session>> ListSessionsAsync(SessionQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= new SessionQuery();
        var q = Scoped(query.Tenant)
            .Add("page", query.Page).Add("per_page", query.PerPage).Add("status", query.Status).Add("kind", query.Kind)
            .Add("channel", query.Channel).Add("q", query.Text).Add("since", query.Since).Add("until", query.Until);
        var (page, _) = await CallAsync(HttpMethod.Get, "api/v1/sessions", q, null, ClientJson.Default.SessionPage, cancellationToken).ConfigureAwait(false);
        return new Page<Session>(page.Items, page.Page, page.PerPage, page.Total);
    }

    /// <summary>Changes a session's title or metadata (<c>PATCH</c>): a field the patch leaves unset is left as it is; a
    /// null clears it.</summary>
    public async Task<Session> UpdateSessionAsync(string id, SessionPatch patch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patch);
        var (session, _) = await CallAsync(HttpMethod.Patch, SessionRoute(id, nameof(id)), Scoped(), Body(PatchJson(patch)), ClientJson.Default.Session, cancellationToken).ConfigureAwait(false);
        return session;
    }

    // Only the fields the patch sets, so that an unset field stays as it is and a null clears it.
    private static byte[] PatchJson(SessionPatch patch)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (patch.Title.HasValue)
            {
                if (patch.Title.Value is { } title) json.WriteString("title", title);
                else json.WriteNull("title");
            }
            if (patch.Metadata.HasValue)
            {
                json.WritePropertyName("metadata");
                if (patch.Metadata.Value is { } metadata) metadata.WriteTo(json);
                else json.WriteNullValue();
            }
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Ends a session (status <c>ended</c>, <c>ended_at</c> the server's now); ending an ended session changes
    /// nothing. Unlike <see cref="Ledger.EndSessionAsync"/>, the time cannot be given: the route takes no body.</summary>
    public async Task<Session> EndSessionAsync(string id, CancellationToken cancellationToken = default)
    {
        var (session, _) = await CallAsync(HttpMethod.Post, SessionRoute(id, nameof(id), "/end"), Scoped(), null, ClientJson.Default.Session, cancellationToken).ConfigureAwait(false);
        return session;
    }

    /// <summary>Deletes a session with its messages, events and read markers; false when it did not exist.</summary>
    public async Task<bool> DeleteSessionAsync(string id, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(HttpMethod.Delete, SessionRoute(id, nameof(id)), Scoped(), null, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound && ProblemBody.IsJson(response)) return false;
        if (!response.IsSuccessStatusCode) throw await ProblemBody.ReadAsync(response, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Moves a reader's marker forward (never back); returns how many messages it marked read.</summary>
    public async Task<int> MarkReadAsync(string sessionId, ReadMarker marker, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(marker);
        var (marked, _) = await PostAsync(SessionRoute(sessionId, nameof(sessionId), "/read"), marker, ClientJson.Default.ReadMarker, ClientJson.Default.MarkedBody, cancellationToken).ConfigureAwait(false);
        return marked.Marked;
    }
}
