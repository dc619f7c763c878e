namespace Parley.Internal.Reports;

/// <summary>What applying status reports writes besides the message: its events and the parked reports that wait for
/// a provider id (docs/lifecycle.md, rule 9), inside the writer's transaction (<see cref="Kernel.WriteStore.Reports"/>).</summary>
internal interface IReportWrites
{
    bool EventExists(string tenantKey, string messageId, MessageStatus status, DateTimeOffset occurredAt, string? errorCode);
    void InsertEvent(EventRow e);

    void Park(ParkedRow report);
    /// <summary>Removes and returns, oldest first, the parked reports a message of this tenant with this provider id
    /// and channel takes: its tenant's and those parked by unscoped callers.</summary>
    List<ParkedRow> TakeParked(string tenantKey, string providerMessageId, string channel);
    /// <summary>Removes and returns the parked reports received before <paramref name="before"/>.</summary>
    List<ParkedRow> ExpireParked(DateTimeOffset before);
}
