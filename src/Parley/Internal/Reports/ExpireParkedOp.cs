using Parley.Internal.Kernel;

namespace Parley.Internal.Reports;

/// <summary>Drops parked reports older than the configured time to live, each with a system event.</summary>
internal sealed class ExpireParkedOp : WriteOp<int>
{
    protected override int Write(WriteBatch batch)
    {
        var expired = batch.Store.Reports.ExpireParked(batch.Now - batch.ParkedReportTtl);
        foreach (var p in expired)
        {
            var detail = new System.Text.Json.Nodes.JsonObject
            {
                ["provider_message_id"] = p.ProviderMessageId,
                ["channel"] = p.Channel,
                ["status"] = WireNames.Of(p.Status),
                ["occurred_at"] = Timestamps.ToText(p.OccurredAt),
                ["received_at"] = Timestamps.ToText(p.ReceivedAt),
            };
            batch.Store.SystemEvents.InsertSystemEvent(SystemEventLevel.Warning, "parking", "parked_report_expired", detail.ToJsonString(), batch.Now);
        }
        return expired.Count;
    }
}
