using Parley.Internal.Kernel;
using Parley.Internal.Messages;
using Parley.Internal.Spool;

namespace Parley.Internal.Reports;

/// <summary>A batch of reports keyed by message id or provider id (webhook ingestion). Each report succeeds or
/// fails alone; a report for a provider id no message carries yet is parked. Result: one
/// <see cref="BatchReportResult"/> per report, in order.</summary>
internal sealed class ReportBatchOp(string? scope, IReadOnlyList<(string? MessageId, ValidReport? Report, Exception? Invalid)> reports) : WriteOp<BatchReportResult[]>
{
    public override SpooledWrite ToSpool() =>
        new SpooledReports([.. reports.Where(r => r.Invalid is null && r.Report is not null).Select(r => new SpooledKeyedReport(r.MessageId, r.Report!))]) { Scope = scope };

    // The reports that passed their checks wait in the spool; the others already have their answer.
    protected override BatchReportResult[] WhenSpooled() => reports.Select(r => r.Invalid is not null || r.Report is null
        ? new BatchReportResult { MessageId = r.MessageId, Error = r.Invalid }
        : new BatchReportResult { MessageId = r.MessageId, Outcome = ReportOutcome.Spooled }).ToArray();

    protected override BatchReportResult[] Write(WriteBatch batch)
    {
        var results = new BatchReportResult[reports.Count];
        batch.Store.Messages.Prefetch(
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
            var found = batch.Store.Messages.FindMessagesByProvider(scope, providerId, report.Channel);
            if (found.Select(m => m.TenantKey).Distinct(StringComparer.Ordinal).Count() > 1)
                throw Tenants.Ambiguous("provider", providerId, found.Select(m => m.TenantKey).Distinct(StringComparer.Ordinal));
            if (found.Count > 1)
                throw new ArgumentException($"provider id '{providerId}' is carried by messages on several channels; give the channel.", "channel");
            if (found.Count == 0)
            {
                if (report.Status == MessageStatus.Cancelled)
                    throw new ParleyNotFoundException($"no message carries provider id '{providerId}' to cancel.", "provider_message_id");
                batch.Store.Reports.Park(new ParkedRow
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
