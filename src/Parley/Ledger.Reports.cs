using Parley.Internal;
using Parley.Internal.Reports;

namespace Parley;

public sealed partial class Ledger
{
    /// <summary>Applies a status report to a message through the lifecycle rules (docs/lifecycle.md) and says what it
    /// did. A <see cref="MessageStatus.Cancelled"/> report is the cancel command: refused with
    /// <see cref="ParleyConflictException"/> unless the message is pending or sending.</summary>
    public async Task<StatusReportResult> ReportStatusAsync(string messageId, StatusReport report, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messageId);
        var valid = Check(report, "");
        if (await _writer.Enqueue(new ReportStatusOp(_scope, messageId, valid), cancellationToken) is not { } result)
            return new StatusReportResult(null, ReportOutcome.Spooled);
        return new StatusReportResult(Mapping.ToMessage(result.Row, result.AgentReadSeq, result.UserReadSeq), result.Outcome);
    }

    /// <summary>Applies a batch of up to <see cref="MaxBatch"/> reports (webhook ingestion), each keyed by message id or
    /// provider id. Each report succeeds or fails alone; one for a provider id no message carries yet is parked until
    /// one does.</summary>
    public async Task<IReadOnlyList<BatchReportResult>> ReportStatusesAsync(IReadOnlyList<KeyedStatusReport> reports,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reports);
        if (reports.Count is 0 or > MaxBatch)
            throw new ArgumentException($"reports must hold 1 to {MaxBatch} reports; got {reports.Count}.", "reports");
        var items = new (string?, ValidReport?, Exception?)[reports.Count];
        for (var i = 0; i < reports.Count; i++)
        {
            var keyed = reports[i];
            try
            {
                ArgumentNullException.ThrowIfNull(keyed, $"reports[{i}]");
                var report = Check(keyed.Report, "");
                if (keyed.MessageId is null && report.ProviderMessageId is null)
                    throw new ArgumentException("give message_id or provider_message_id.", "message_id");
                items[i] = (keyed.MessageId, report, null);
            }
            catch (ArgumentException e)
            {
                items[i] = (keyed?.MessageId, null, e);
            }
        }
        return await _writer.Enqueue(new ReportBatchOp(_scope, items), cancellationToken);
    }

    private ValidReport Check(StatusReport report, string prefix)
    {
        ArgumentNullException.ThrowIfNull(report);
        var status = Validate.Defined(report.Status, prefix + "status");
        var errorCode = Validate.Text(report.ErrorCode, prefix + "error_code", 128, allowEmpty: false);
        var errorMessage = Validate.Text(report.ErrorMessage, prefix + "error_message", 4000);
        if ((errorCode ?? errorMessage) is not null && status != MessageStatus.Failed)
            throw new ArgumentException($"{prefix}error_code and {prefix}error_message go with a failed report only.", prefix + "error_code");
        return new ValidReport(
            status,
            report.At is { } at ? Timestamps.Truncate(at) : Now(),
            Validate.Text(report.ProviderMessageId, prefix + "provider_message_id", 255, allowEmpty: false),
            report.Channel is null ? null : Validate.Slug(report.Channel, prefix + "channel"),
            errorCode,
            errorMessage,
            Validate.Json(report.Detail, prefix + "detail"),
            report.Source is null ? "library" : Validate.Slug(report.Source, prefix + "source"));
    }
}
