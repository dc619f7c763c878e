using Parley.Client.Internal;

namespace Parley.Client;

public sealed partial class ParleyClient
{
    /// <summary>Applies a status report to a message through the lifecycle rules (docs/lifecycle.md) and says what it
    /// did. A <see cref="MessageStatus.Cancelled"/> report is the cancel command: refused with
    /// <see cref="ParleyConflictException"/> unless the message is pending or sending. While the server's database is
    /// unavailable the report waits in its spool: outcome <see cref="ReportOutcome.Spooled"/>, message null.</summary>
    public async Task<StatusReportResult> ReportStatusAsync(string messageId, StatusReport report, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        var (result, _) = await PostAsync(MessageRoute(messageId, nameof(messageId), "/status"), report, ClientJson.Default.StatusReport,
            ClientJson.Default.StatusReportResult, cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>Applies a batch of up to <see cref="Ledger.MaxBatch"/> reports (<c>POST /api/v1/status-reports</c>),
    /// each keyed by message id or provider id. Each succeeds or fails alone: a failed one's
    /// <see cref="BatchReportResult.Error"/> is the exception its problem maps to (<see cref="ParleyNotFoundException"/>,
    /// <see cref="ParleyConflictException"/>, <see cref="ParleyBadRequestException"/> …); one for a provider id no
    /// message carries yet is <see cref="BatchReportResult.Parked"/>; a spooled one's outcome is
    /// <see cref="ReportOutcome.Spooled"/>.</summary>
    public async Task<IReadOnlyList<BatchReportResult>> ReportStatusesAsync(IReadOnlyList<KeyedStatusReport> reports,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reports);
        var body = new ReportsBody([.. reports.Select((r, i) => KeyedReportBody.Of(r, i))]);
        var (answer, _) = await PostAsync("api/v1/status-reports", body, ClientJson.Default.ReportsBody, ClientJson.Default.BatchResultsBody, cancellationToken).ConfigureAwait(false);
        return [.. answer.Results.Select(r => new BatchReportResult
        {
            Outcome = r.Outcome,
            MessageId = r.MessageId,
            Parked = r.Parked == true,
            Error = r.Error?.ToException(r.Error.Status ?? 500),
        })];
    }
}
