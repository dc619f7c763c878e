using System.Net;
using Parley.Client.Internal;

namespace Parley.Client;

public sealed partial class ParleyClient
{
    /// <summary>System events, newest first (<c>GET /api/v1/system/events</c>; an admin key once keys are on, else
    /// <see cref="ParleyAccessDeniedException"/>). Not confined by <see cref="ForTenant"/>.</summary>
    public async Task<IReadOnlyList<SystemEvent>> GetSystemEventsAsync(SystemEventLevel? level = null, int limit = 100, CancellationToken cancellationToken = default)
    {
        var q = new QueryString().Add("level", level).Add("limit", limit);
        var (events, _) = await CallAsync(HttpMethod.Get, "api/v1/system/events", q, null, ClientJson.Default.SystemEvents, cancellationToken).ConfigureAwait(false);
        return events.Items;
    }

    /// <summary>Whether the server can take calls now (<c>GET /health/ready</c>, which needs no key): an answer, not an
    /// exception, when it cannot (<see cref="ParleyReadiness.IsReady"/> false: the database cannot be read, or writes
    /// wait in the spool).</summary>
    public async Task<ParleyReadiness> GetReadinessAsync(CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(HttpMethod.Get, "health/ready", null, null, cancellationToken).ConfigureAwait(false);
        // A 503 from Parley carries the readiness body too; one that is not JSON came from something in front of it.
        if (!response.IsSuccessStatusCode && !(response.StatusCode == HttpStatusCode.ServiceUnavailable && ProblemBody.IsJson(response)))
            throw await ProblemBody.ReadAsync(response, cancellationToken).ConfigureAwait(false);
        var body = await ReadAsync(response, ClientJson.Default.ReadyBody, cancellationToken).ConfigureAwait(false);
        return new ParleyReadiness
        {
            Status = body.Status,
            Database = body.Database,
            SchemaVerified = body.Schema?.Verified ?? false,
            SchemaVersion = body.Schema?.Version ?? -1,
            WriterQueue = body.WriterQueue,
            Spool = body.Spool,
        };
    }

    /// <summary>What <see cref="Ledger.Subscribe"/> is over HTTP: opens the events stream (<c>GET /api/v1/events</c>,
    /// Server-Sent Events); once this returns, every change committed afterwards that the caller may see arrives on it
    /// (a tenant key: its tenant's; <see cref="ForTenant"/> does not narrow it). Dispose it to close the connection.
    /// The stream has no ids, so a new subscription starts from now.</summary>
    public async Task<ParleyEventSubscription> SubscribeAsync(CancellationToken cancellationToken = default)
    {
        // Headers only: the body is the stream. The server subscribes before it sends them.
        var response = await SendAsync(HttpMethod.Get, "api/v1/events", null, null, cancellationToken, HttpCompletionOption.ResponseHeadersRead, "text/event-stream").ConfigureAwait(false);
        try
        {
            if (!response.IsSuccessStatusCode) throw await ProblemBody.ReadAsync(response, cancellationToken).ConfigureAwait(false);
            return new ParleyEventSubscription(response, await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }
}
