using Parley.Internal.Reports;
using static Parley.Internal.Kernel.RowReaders;

namespace Parley.Internal.Kernel;

// AdoWriteStore: the event and parked-report statements (IReportWrites).
internal abstract partial class AdoWriteStore
{
    private readonly string _eventExists = "SELECT 1 FROM parley_message_events WHERE tenant_key = @p4 AND message_id = @p0 AND status = @p1 AND occurred_at = @p2 AND " +
                                           flavor.NullSafeEquals("error_code", "@p3");

    public bool EventExists(string tenantKey, string messageId, MessageStatus status, DateTimeOffset occurredAt, string? errorCode)
    {
        if (_eventsCached.Contains(messageId)) return _eventKeys.Contains((tenantKey, messageId, status, occurredAt, errorCode));
        Flush();
        return Cmd(_eventExists, messageId, WireNames.Of(status), occurredAt, errorCode, tenantKey).ExecuteScalar() is not (null or DBNull);
    }

    public virtual void InsertEvent(EventRow e)
    {
        NoteEvent(e);
        Exec(
        "INSERT INTO parley_message_events (message_id, status, occurred_at, recorded_at, source, error_code, error_message, detail, applied, outcome, tenant_key) " +
        "VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9, @p10)",
        e.MessageId, WireNames.Of(e.Status), e.OccurredAt, e.RecordedAt, e.Source, e.ErrorCode, e.ErrorMessage, new JsonText(e.DetailJson),
        e.Outcome == ReportOutcome.Applied, WireNames.Of(e.Outcome), e.TenantKey);
    }

    /// <summary>Keeps a prefetched view of events current with one this transaction wrote.</summary>
    protected void NoteEvent(EventRow e)
    {
        if (_eventsCached.Contains(e.MessageId)) _eventKeys.Add((e.TenantKey, e.MessageId, e.Status, e.OccurredAt, e.ErrorCode));
    }

    public void Park(ParkedRow p) => Exec(
        "INSERT INTO parley_parked_reports (provider_message_id, channel, status, occurred_at, received_at, source, error_code, error_message, detail, tenant_key) " +
        "VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9)",
        p.ProviderMessageId, p.Channel, WireNames.Of(p.Status), p.OccurredAt, p.ReceivedAt, p.Source, p.ErrorCode, p.ErrorMessage, new JsonText(p.DetailJson),
        p.TenantKey);

    public List<ParkedRow> TakeParked(string tenantKey, string providerMessageId, string channel)
    {
        Flush();
        var rows = ReadAll(Cmd($"SELECT {ParkedColumns} FROM parley_parked_reports WHERE provider_message_id = @p0 " +
                               "AND (channel IS NULL OR channel = @p1) AND (tenant_key IS NULL OR tenant_key = @p2) ORDER BY id",
                               providerMessageId, channel, tenantKey), Parked);
        foreach (var row in rows) Exec("DELETE FROM parley_parked_reports WHERE id = @p0", row.Id);
        return rows;
    }

    public List<ParkedRow> ExpireParked(DateTimeOffset before)
    {
        Flush();
        var rows = ReadAll(Cmd($"SELECT {ParkedColumns} FROM parley_parked_reports WHERE received_at < @p0 ORDER BY id", before), Parked);
        foreach (var row in rows) Exec("DELETE FROM parley_parked_reports WHERE id = @p0", row.Id);
        return rows;
    }
}
