using Parley.Internal.Kernel;
using Parley.Internal.Messages;
using Parley.Internal.Spool;

namespace Parley.Internal.Reports;

/// <summary>One report for a message named by id. Result: <see cref="Result"/>.</summary>
internal sealed class ReportStatusOp(string? scope, string messageId, ValidReport report) : WriteOp<ReportStatusOp.Result?>
{
    public sealed record Result(MessageRow Row, ReportOutcome Outcome, long AgentReadSeq, long UserReadSeq);

    public override SpooledWrite ToSpool() => new SpooledReport(messageId, report) { Scope = scope };

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
