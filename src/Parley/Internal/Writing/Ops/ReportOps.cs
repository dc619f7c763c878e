namespace Parley.Internal.Writing.Ops;

/// <summary>One report for a message named by id. Result: <see cref="Result"/>.</summary>
internal sealed class ReportStatusOp(string? scope, string messageId, ValidReport report) : WriteOp<ReportStatusOp.Result?>
{
    public sealed record Result(MessageRow Row, ReportOutcome Outcome, long AgentReadSeq, long UserReadSeq);

    public override Spooling.SpooledWrite ToSpool() => new Spooling.SpooledReport(messageId, report) { Scope = scope };

    // The outcome cannot be told before the database has the message.
    protected override Result? WhenSpooled() => null;

    protected override Result? Write(WriteBatch batch)
    {
        var message = batch.Message(scope, messageId)
                      ?? throw new ParleyNotFoundException($"message '{messageId}' does not exist.", "message_id");
        if (report.Channel is not null && report.Channel != message.Channel)
            throw new ArgumentException($"channel '{report.Channel}' does not match the message's channel '{message.Channel}'.", "channel");
        var session = batch.RequireSession(message.TenantKey, message.SessionId);
        var outcome = ReportApplier.Apply(batch, message, session, report);
        return new Result(message, outcome, session.Row.AgentReadSeq, session.Row.UserReadSeq);
    }
}

/// <summary>A batch of reports keyed by message id or provider id (webhook ingestion). Each report succeeds or
/// fails alone; a report for a provider id no message carries yet is parked. Result: one
/// <see cref="BatchReportResult"/> per report, in order.</summary>
internal sealed class ReportBatchOp(string? scope, IReadOnlyList<(string? MessageId, ValidReport? Report, Exception? Invalid)> reports) : WriteOp<BatchReportResult[]>
{
    public override Spooling.SpooledWrite ToSpool() =>
        new Spooling.SpooledReports([.. reports.Where(r => r.Invalid is null && r.Report is not null).Select(r => new Spooling.SpooledKeyedReport(r.MessageId, r.Report!))]) { Scope = scope };

    // The reports that passed their checks wait in the spool; the others already have their answer.
    protected override BatchReportResult[] WhenSpooled() => reports.Select(r => r.Invalid is not null || r.Report is null
        ? new BatchReportResult { MessageId = r.MessageId, Error = r.Invalid }
        : new BatchReportResult { MessageId = r.MessageId, Outcome = ReportOutcome.Spooled }).ToArray();

    protected override BatchReportResult[] Write(WriteBatch batch)
    {
        var results = new BatchReportResult[reports.Count];
        batch.Store.Prefetch(
            [.. reports.Where(r => r.Report is not null && r.MessageId is not null).Select(r => r.MessageId!).Distinct(StringComparer.Ordinal)],
            [.. reports.Where(r => r.Report is not null && r.MessageId is null).Select(r => r.Report!.ProviderMessageId!).Distinct(StringComparer.Ordinal)]);
        for (var i = 0; i < reports.Count; i++)
        {
            var (messageId, report, invalid) = reports[i];
            if (invalid is not null || report is null)
            {
                results[i] = new BatchReportResult { MessageId = messageId, Error = invalid };
                continue;
            }
            try
            {
                results[i] = ApplyOne(batch, scope, messageId, report);
            }
            catch (Exception e) when (IsCallerError(e))
            {
                results[i] = new BatchReportResult { MessageId = messageId, Error = e };
            }
        }
        return results;
    }

    private static BatchReportResult ApplyOne(WriteBatch batch, string? scope, string? messageId, ValidReport report)
    {
        MessageRow? message;
        if (messageId is not null)
        {
            message = batch.Message(scope, messageId)
                      ?? throw new ParleyNotFoundException($"message '{messageId}' does not exist.", "message_id");
            if (report.Channel is not null && report.Channel != message.Channel)
                throw new ArgumentException($"channel '{report.Channel}' does not match the message's channel '{message.Channel}'.", "channel");
        }
        else
        {
            var providerId = report.ProviderMessageId!;
            var found = batch.Store.FindMessagesByProvider(scope, providerId, report.Channel);
            if (found.Select(m => m.TenantKey).Distinct(StringComparer.Ordinal).Count() > 1)
                throw Tenants.Ambiguous("provider", providerId, found.Select(m => m.TenantKey).Distinct(StringComparer.Ordinal));
            if (found.Count > 1)
                throw new ArgumentException($"provider id '{providerId}' is carried by messages on several channels; give the channel.", "channel");
            if (found.Count == 0)
            {
                if (report.Status == MessageStatus.Cancelled)
                    throw new ParleyNotFoundException($"no message carries provider id '{providerId}' to cancel.", "provider_message_id");
                batch.Store.Park(new ParkedRow
                {
                    ProviderMessageId = providerId,
                    Channel = report.Channel,
                    TenantKey = scope,
                    Status = report.Status,
                    OccurredAt = report.At,
                    ReceivedAt = batch.Now,
                    Source = report.Source,
                    ErrorCode = report.ErrorCode,
                    ErrorMessage = report.ErrorMessage,
                    DetailJson = report.DetailJson,
                });
                batch.CountReport("parked");
                return new BatchReportResult { Parked = true };
            }
            message = found[0];
        }
        var session = batch.RequireSession(message.TenantKey, message.SessionId);
        var outcome = ReportApplier.Apply(batch, message, session, report);
        return new BatchReportResult { Outcome = outcome, MessageId = message.Id };
    }
}

/// <summary>Moves a reader's marker forward (never back) and reports <c>read</c> for every message it passes that
/// the reader reads (docs/lifecycle.md, "Read markers"). Result: how many messages it marked.</summary>
internal sealed class MarkReadOp(string? scope, string sessionId, Reader reader, string? upTo, DateTimeOffset at, string source) : WriteOp<int>
{
    protected override int Write(WriteBatch batch)
    {
        var session = batch.RequireSession(scope, sessionId, "id");
        var row = session.Row;
        var tenantKey = row.TenantKey;
        var target = row.LastSeq;
        if (upTo is not null)
        {
            target = batch.Store.SeqOf(tenantKey, sessionId, upTo)
                     ?? throw new ParleyNotFoundException($"message '{upTo}' is not in session '{sessionId}'.", "up_to");
        }
        var marker = session.MarkerOf(reader);
        if (target <= marker) return 0;

        var marked = 0;
        foreach (var message in batch.Store.MessagesBetween(tenantKey, sessionId, marker, target))
        {
            if (!Readers.Reads(reader, message.SenderType)) continue;
            var report = new ValidReport(MessageStatus.Read, at, null, null, null, null, null, source);
            ReportApplier.Apply(batch, message, session, report);
            marked++;
        }
        if (reader == Reader.Agent)
        {
            row.AgentReadSeq = target;
            row.UnreadForAgent = batch.Store.CountUnread(tenantKey, sessionId, reader, target);
        }
        else
        {
            row.UserReadSeq = target;
            row.UnreadForUser = batch.Store.CountUnread(tenantKey, sessionId, reader, target);
        }
        session.Touch(batch.Now);
        return marked;
    }
}
