using Parley.Internal;
using Parley.Internal.Messages;
using Parley.Internal.Reports;

namespace Parley;

public sealed partial class Ledger
{
    /// <summary>Logs one message. A repeated id or idempotency key returns the stored message with
    /// <c>Created = false</c>. Throws <see cref="ArgumentException"/> naming the bad field, and
    /// <see cref="ParleyNotFoundException"/> for an unknown session.</summary>
    public async Task<LoggedMessage> LogMessageAsync(string sessionId, NewMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        return (await LogMessagesAsync(sessionId, [message], cancellationToken))[0];
    }

    /// <summary>Logs up to <see cref="MaxBatch"/> messages into one session, all or nothing, in order.</summary>
    public async Task<IReadOnlyList<LoggedMessage>> LogMessagesAsync(string sessionId, IReadOnlyList<NewMessage> messages,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sessionId);
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count is 0 or > MaxBatch)
            throw new ArgumentException($"messages must hold 1 to {MaxBatch} messages; got {messages.Count}.", "messages");
        var now = Now();
        var planned = new PlannedMessage[messages.Count];
        for (var i = 0; i < messages.Count; i++)
            planned[i] = Plan(sessionId, messages[i], now, messages.Count == 1 ? "" : $"messages[{i}].");

        var result = await _writer.Enqueue(new LogMessagesOp(_scope, sessionId, planned), cancellationToken);
        return [.. result.Messages.Select(m => new LoggedMessage(Mapping.ToMessage(m.Row, result.AgentReadSeq, result.UserReadSeq), m.Created) { Spooled = result.Spooled })];
    }

    /// <summary>One message with its events (oldest first), or null.</summary>
    public Task<Message?> GetMessageAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return ReadAsync(ct => _reader.GetMessageAsync(_scope, id, ct), cancellationToken);
    }

    /// <summary>A session's messages in order, a page at a time.</summary>
    public async Task<CursorPage<Message>> GetTranscriptAsync(string sessionId, TranscriptQuery? query = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sessionId);
        query ??= new TranscriptQuery();
        Validate.Range(query.Limit, 1, 200, "limit");
        return await ReadAsync(ct => _reader.TranscriptAsync(sessionId, query, _scope, ct), cancellationToken)
               ?? throw new ParleyNotFoundException($"session '{sessionId}' does not exist.", "id");
    }

    /// <summary>Messages matching every given filter, newest first.</summary>
    public Task<CursorPage<Message>> SearchMessagesAsync(MessageQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= new MessageQuery();
        Validate.Range(query.Limit, 1, 200, "limit");
        if (query.Channel is not null) Validate.Slug(query.Channel, "channel");
        return ReadAsync(ct => _reader.SearchAsync(query, _scope, ct), cancellationToken);
    }

    private static PlannedMessage Plan(string sessionId, NewMessage m, DateTimeOffset now, string prefix)
    {
        ArgumentNullException.ThrowIfNull(m, prefix.Length == 0 ? "message" : prefix.TrimEnd('.'));
        var direction = m.Direction is { } d ? Validate.Defined(d, prefix + "direction") : (Direction?)null;
        var sender = m.SenderType is { } s ? Validate.Defined(s, prefix + "sender_type") : (SenderType?)null;
        if (direction is null && sender is null)
            throw new ArgumentException($"{prefix}direction or {prefix}sender_type is required.", prefix + "direction");
        direction ??= sender == SenderType.User ? Direction.Inbound : Direction.Outbound;
        sender ??= direction == Direction.Inbound ? SenderType.User : SenderType.System;

        var createdAt = m.CreatedAt is { } c ? Timestamps.Truncate(c) : now;
        var status = m.Status is { } st ? Validate.Defined(st, prefix + "status")
            : direction == Direction.Inbound ? MessageStatus.Delivered : MessageStatus.Pending;
        var errorCode = Validate.Text(m.ErrorCode, prefix + "error_code", 128, allowEmpty: false);
        var errorMessage = Validate.Text(m.ErrorMessage, prefix + "error_message", 4000);
        if ((errorCode ?? errorMessage) is not null && status != MessageStatus.Failed)
            throw new ArgumentException($"{prefix}error_code and {prefix}error_message go with a failed status only.", prefix + "error_code");
        var source = m.Source is null ? "library" : Validate.Slug(m.Source, prefix + "source");

        var row = new MessageRow
        {
            Id = m.Id is null ? NewId() : Validate.Id(m.Id, prefix + "id"),
            SessionId = sessionId,
            IdempotencyKey = Validate.Text(m.IdempotencyKey, prefix + "idempotency_key", 128, allowEmpty: false),
            Direction = direction.Value,
            SenderType = sender.Value,
            SenderId = Validate.Text(m.SenderId, prefix + "sender_id", 255),
            SenderName = Validate.Text(m.SenderName, prefix + "sender_name", 255),
            Channel = m.Channel is null ? "web" : Validate.Slug(m.Channel, prefix + "channel"),
            Recipient = Validate.Text(m.Recipient, prefix + "recipient", 320),
            Template = Validate.Text(m.Template, prefix + "template", 128, allowEmpty: false),
            Subject = Validate.Text(m.Subject, prefix + "subject", 998),
            Content = Validate.Content(m.Content, prefix + "content"),
            ProviderMessageId = Validate.Text(m.ProviderMessageId, prefix + "provider_message_id", 255, allowEmpty: false),
            MetadataJson = Validate.Json(m.Metadata, prefix + "metadata"),
            CreatedAt = createdAt,
            UpdatedAt = createdAt,
        };
        var initial = status == MessageStatus.Pending ? null
            : new ValidReport(status, createdAt, null, null, errorCode, errorMessage, null, source);
        return new PlannedMessage(row, m.Id is not null, initial);
    }
}
