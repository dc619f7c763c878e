using Parley.Internal.Kernel;
using Parley.Internal.ReadMarkers;
using Parley.Internal.Reports;
using Parley.Internal.Spool;

namespace Parley.Internal.Messages;

/// <summary>A message checked and ready to store: its row (id and times already assigned) and its initial status
/// report when that is not <c>pending</c>.</summary>
internal sealed record PlannedMessage(MessageRow Row, bool ClientGaveId, ValidReport? Initial);

/// <summary>Logs one or many messages into one session, all or nothing. Repeats (a stored id or idempotency key)
/// return the stored message unchanged. Result: <c>(MessageRow Row, bool Created)[]</c> in input order, plus the
/// session's read markers for <c>read_by_*</c>.</summary>
internal sealed class LogMessagesOp(string? scope, string sessionId, IReadOnlyList<PlannedMessage> messages) : WriteOp<LogMessagesOp.Result>
{
    public sealed record Result((MessageRow Row, bool Created)[] Messages, long AgentReadSeq, long UserReadSeq, bool Spooled = false);

    public override string? SessionId => sessionId;

    public override SpooledWrite ToSpool() =>
        new SpooledMessages(sessionId, [.. messages.Select(SpooledMessage.Of)]) { Scope = scope };

    // The caller sees each message as it will be stored, but for its place in the session, which replay assigns.
    protected override Result WhenSpooled()
    {
        var rows = new (MessageRow Row, bool Created)[messages.Count];
        for (var i = 0; i < messages.Count; i++)
        {
            var m = messages[i].Row.Copy();
            m.SessionSeq = 0;
            m.UpdatedAt = m.CreatedAt;
            m.Delivery = default;
            if (messages[i].Initial is { } initial) ApplyInitial(m, initial);
            rows[i] = (m, true);
        }
        return new Result(rows, AgentReadSeq: -1, UserReadSeq: -1, Spooled: true);
    }

    protected override Result Write(WriteBatch batch)
    {
        var session = batch.RequireSession(scope, sessionId);
        // Ids, idempotency keys and provider ids are unique within the session's tenant only.
        var tenantKey = session.Row.TenantKey;
        var store = batch.Store;
        var results = new (MessageRow Row, bool Created)[messages.Count];

        // Checks first: find repeats and provider id conflicts before anything is written.
        Dictionary<string, MessageRow>? byId = null, byKey = null, byProvider = null;
        for (var i = 0; i < messages.Count; i++)
        {
            var m = messages[i].Row;
            m.TenantKey = tenantKey;
            MessageRow? existing = null;
            if (messages[i].ClientGaveId)
            {
                existing = byId?.GetValueOrDefault(m.Id) ?? store.Messages.FindMessage(tenantKey, m.Id);
                if (existing is not null && existing.SessionId != sessionId)
                    throw new ParleyConflictException($"message id '{m.Id}' is already used in another session.");
            }
            if (existing is null && m.IdempotencyKey is not null)
                existing = byKey?.GetValueOrDefault(m.IdempotencyKey) ?? store.Messages.FindMessageByKey(tenantKey, sessionId, m.IdempotencyKey);
            if (existing is null && m.ProviderMessageId is not null)
            {
                var providerKey = m.Channel + "\n" + m.ProviderMessageId;
                if ((byProvider?.ContainsKey(providerKey) ?? false) || store.Messages.FindMessagesByProvider(tenantKey, m.ProviderMessageId, m.Channel).Count > 0)
                    throw new ParleyConflictException($"provider id '{m.ProviderMessageId}' already belongs to another {m.Channel} message.");
                (byProvider ??= new(StringComparer.Ordinal))[providerKey] = m;
            }
            if (existing is not null)
            {
                results[i] = (existing, false);
                continue;
            }
            results[i] = (m, true);
            if (messages[i].ClientGaveId) (byId ??= new(StringComparer.Ordinal))[m.Id] = m;
            if (m.IdempotencyKey is not null) (byKey ??= new(StringComparer.Ordinal))[m.IdempotencyKey] = m;
        }

        var row = session.Row;
        for (var i = 0; i < messages.Count; i++)
        {
            if (!results[i].Created) continue;
            var planned = messages[i];
            var m = planned.Row;
            m.SessionSeq = ++row.LastSeq;
            m.UpdatedAt = batch.Now > m.CreatedAt ? batch.Now : m.CreatedAt;
            // The initial status is a report at created_at, applied before the insert so the row is written once.
            var initialOutcome = planned.Initial is { } initial ? ApplyInitial(m, initial) : default;
            store.Messages.InsertMessage(m);
            batch.Stats.Add(store.Stats, m, 1);
            if (planned.Initial is { } report)
            {
                store.Reports.InsertEvent(EventOf(m, report, initialOutcome, batch.Now));
                batch.CountReport(WireNames.Of(initialOutcome));
            }

            row.MessageCount++;
            if (row.FirstMessageAt is null || m.CreatedAt < row.FirstMessageAt) row.FirstMessageAt = m.CreatedAt;
            if (row.LastMessageAt is null || m.CreatedAt > row.LastMessageAt) row.LastMessageAt = m.CreatedAt;
            if (Readers.ReaderOf(m.SenderType) == Reader.Agent) row.UnreadForAgent++;
            else row.UnreadForUser++;
            batch.AddFacet(tenantKey, sessionId, WriteBatch.StatusFacet, WireNames.Of(m.Delivery.Status), 1);
            batch.AddFacet(tenantKey, sessionId, WriteBatch.ChannelFacet, m.Channel, 1);
            if (m.Template is not null) batch.AddFacet(tenantKey, sessionId, WriteBatch.TemplateFacet, m.Template, 1);
            ReportApplier.ApplyParked(batch, m, session);
            batch.Publish(() => new LedgerChange("message.logged", sessionId, Mapping.ToMessage(m, row.AgentReadSeq, row.UserReadSeq), Tenant: row.Tenant));
        }
        session.Touch(batch.Now);
        return new Result(results, row.AgentReadSeq, row.UserReadSeq);
    }

    private static ReportOutcome ApplyInitial(MessageRow m, ValidReport initial)
    {
        if (initial.Status != MessageStatus.Cancelled)
            return StatusRules.Apply(ref m.Delivery, new Report(initial.Status, initial.At, initial.ErrorCode, initial.ErrorMessage));
        StatusRules.Cancel(ref m.Delivery, initial.At);
        return ReportOutcome.Applied;
    }

    private static EventRow EventOf(MessageRow m, ValidReport r, ReportOutcome outcome, DateTimeOffset now) => new()
    {
        MessageId = m.Id,
        TenantKey = m.TenantKey,
        Status = r.Status,
        OccurredAt = r.At,
        RecordedAt = now,
        Source = r.Source,
        ErrorCode = r.ErrorCode,
        ErrorMessage = r.ErrorMessage,
        DetailJson = r.DetailJson,
        Outcome = outcome,
    };
}
