using System.Net;
using Parley.Client.Internal;

namespace Parley.Client;

public sealed partial class ParleyClient
{
    /// <summary>Logs one message. A repeated id or idempotency key answers the stored message with
    /// <c>Created = false</c>; an unknown session throws <see cref="ParleyNotFoundException"/>. While the server's
    /// database is unavailable the message waits in its spool: <see cref="LoggedMessage.Spooled"/>, with its id and
    /// times already fixed.</summary>
    public async Task<LoggedMessage> LogMessageAsync(string sessionId, NewMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var (stored, status) = await PostAsync(SessionRoute(sessionId, nameof(sessionId), "/messages"), message, ClientJson.Default.NewMessage,
            ClientJson.Default.Message, cancellationToken).ConfigureAwait(false);
        return new LoggedMessage(stored, Created: status != HttpStatusCode.OK) { Spooled = status == HttpStatusCode.Accepted };
    }

    /// <summary>Logs up to <see cref="Ledger.MaxBatch"/> messages into one session, all or nothing, in order
    /// (<c>{"messages": [...]}</c>). The server answers 201 when the batch created any message and 200 when every one
    /// was a repeat, without saying which: each result's <c>Created</c> is that of the batch.</summary>
    public async Task<IReadOnlyList<LoggedMessage>> LogMessagesAsync(string sessionId, IReadOnlyList<NewMessage> messages,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var (logged, status) = await PostAsync(SessionRoute(sessionId, nameof(sessionId), "/messages"), new NewMessagesBody(messages),
            ClientJson.Default.NewMessagesBody, ClientJson.Default.MessagesBody, cancellationToken).ConfigureAwait(false);
        return [.. logged.Messages.Select(m => new LoggedMessage(m, Created: status != HttpStatusCode.OK) { Spooled = status == HttpStatusCode.Accepted })];
    }

    /// <summary>One message with its events (oldest first), or null when there is none (in the caller's tenant).</summary>
    public Task<Message?> GetMessageAsync(string id, CancellationToken cancellationToken = default) =>
        FindAsync(MessageRoute(id, nameof(id)), Scoped(), ClientJson.Default.Message, cancellationToken);

    /// <summary>A session's messages in the order they were logged, a page at a time; an unknown session throws
    /// <see cref="ParleyNotFoundException"/>.</summary>
    public async Task<CursorPage<Message>> GetTranscriptAsync(string sessionId, TranscriptQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= new TranscriptQuery();
        var path = SessionRoute(sessionId, nameof(sessionId), "/messages");
        var q = Scoped().Add("cursor", query.Cursor).Add("limit", query.Limit).Add("order", query.Descending ? "desc" : "asc");
        var (page, _) = await CallAsync(HttpMethod.Get, path, q, null, ClientJson.Default.MessagePage, cancellationToken).ConfigureAwait(false);
        return page;
    }

    /// <summary>Messages matching every given filter, most recently logged first. <see cref="MessageQuery.Tenant"/> is
    /// sent as <c>tenant=</c>, as <see cref="ForTenant"/> is.</summary>
    public async Task<CursorPage<Message>> SearchMessagesAsync(MessageQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= new MessageQuery();
        var q = Scoped(query.Tenant)
            .Add("status", query.Status).Add("channel", query.Channel).Add("recipient", query.Recipient)
            .Add("provider_message_id", query.ProviderMessageId).Add("since", query.Since).Add("until", query.Until)
            .Add("cursor", query.Cursor).Add("limit", query.Limit);
        var (page, _) = await CallAsync(HttpMethod.Get, "api/v1/messages", q, null, ClientJson.Default.MessagePage, cancellationToken).ConfigureAwait(false);
        return page;
    }
}
