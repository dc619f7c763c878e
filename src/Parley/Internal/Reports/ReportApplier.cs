using Parley.Internal.Kernel;
using Parley.Internal.Messages;

namespace Parley.Internal.Reports;

/// <summary>A checked status report, its time already fixed (the time received when the caller gave none).</summary>
internal sealed record ValidReport(
    MessageStatus Status, DateTimeOffset At, string? ProviderMessageId, string? Channel,
    string? ErrorCode, string? ErrorMessage, string? DetailJson, string Source);

/// <summary>Applies one report to one message inside the writer's transaction: the duplicate check (rule 6), the
/// cancel check (rule 8), the provider id, then <see cref="StatusRules"/>, the event, the summary counts and any
/// parked reports the provider id releases (rule 9). Every check comes before the first write.</summary>
internal static class ReportApplier
{
    public static ReportOutcome Apply(WriteBatch batch, MessageRow message, SessionState session, ValidReport report)
    {
        var store = batch.Store;
        var prior = message.Delivery;
        if (store.Reports.EventExists(message.TenantKey, message.Id, report.Status, report.At, report.ErrorCode))
        {
            if (StatusRules.ApplyDuplicateError(ref message.Delivery, new Report(report.Status, report.At, report.ErrorCode, report.ErrorMessage)))
            {
                message.UpdatedAt = batch.Now;
                store.Messages.UpdateDelivery(message);
                batch.Stats.Change(store.Stats, message, prior);
            }
            batch.CountReport("duplicate");
            return ReportOutcome.Duplicate;
        }
        if (report.Status == MessageStatus.Cancelled && !StatusRules.CanCancel(message.Delivery.Status))
            throw new ParleyConflictException($"message '{message.Id}' is {WireNames.Of(message.Delivery.Status)}; only a pending or sending message can be cancelled.");
        var newProviderId = CheckProviderId(batch, message, report.ProviderMessageId);

        var before = message.Delivery.Status;
        ReportOutcome outcome;
        if (report.Status == MessageStatus.Cancelled)
        {
            StatusRules.Cancel(ref message.Delivery, report.At);
            outcome = ReportOutcome.Applied;
        }
        else
        {
            outcome = StatusRules.Apply(ref message.Delivery, new Report(report.Status, report.At, report.ErrorCode, report.ErrorMessage));
        }
        if (message.Delivery.Status != before)
        {
            batch.AddFacet(message.TenantKey, message.SessionId, WriteBatch.StatusFacet, WireNames.Of(before), -1);
            batch.AddFacet(message.TenantKey, message.SessionId, WriteBatch.StatusFacet, WireNames.Of(message.Delivery.Status), 1);
        }
        if (newProviderId is not null) message.ProviderMessageId = newProviderId;
        message.UpdatedAt = batch.Now;
        store.Messages.UpdateDelivery(message);
        batch.Stats.Change(store.Stats, message, prior);
        store.Reports.InsertEvent(new EventRow
        {
            MessageId = message.Id,
            TenantKey = message.TenantKey,
            Status = report.Status,
            OccurredAt = report.At,
            RecordedAt = batch.Now,
            Source = report.Source,
            ErrorCode = report.ErrorCode,
            ErrorMessage = report.ErrorMessage,
            DetailJson = report.DetailJson,
            Outcome = outcome,
        });
        session.Touch(batch.Now);
        batch.CountReport(WireNames.Of(outcome));
        batch.Publish(() => new LedgerChange("message.status", message.SessionId,
            Mapping.ToMessage(message, session.Row.AgentReadSeq, session.Row.UserReadSeq), outcome, session.Row.Tenant));
        if (newProviderId is not null) ApplyParked(batch, message, session);
        return outcome;
    }

    /// <summary>Applies, oldest first, the reports that were waiting for this message's provider id.</summary>
    public static void ApplyParked(WriteBatch batch, MessageRow message, SessionState session)
    {
        if (message.ProviderMessageId is null) return;
        foreach (var p in batch.Store.Reports.TakeParked(message.TenantKey, message.ProviderMessageId, message.Channel))
        {
            Apply(batch, message, session, new ValidReport(p.Status, p.OccurredAt, null, p.Channel, p.ErrorCode, p.ErrorMessage, p.DetailJson, p.Source));
        }
    }

    /// <summary>The provider id the report gives the message, or null when it gives none or the same one.</summary>
    private static string? CheckProviderId(WriteBatch batch, MessageRow message, string? providerId)
    {
        if (providerId is null || providerId == message.ProviderMessageId) return null;
        if (message.ProviderMessageId is not null)
            throw new ArgumentException($"message '{message.Id}' already carries provider id '{message.ProviderMessageId}'.", "provider_message_id");
        if (batch.Store.Messages.FindMessagesByProvider(message.TenantKey, providerId, message.Channel).Count > 0)
            throw new ParleyConflictException($"provider id '{providerId}' already belongs to another {message.Channel} message.");
        return providerId;
    }
}
