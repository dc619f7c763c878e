namespace Parley.Internal.Reports;

/// <summary>A status report as stored.</summary>
internal sealed class EventRow
{
    public long Id;
    public required string MessageId;
    public string TenantKey = "";
    public MessageStatus Status;
    public DateTimeOffset OccurredAt;
    public DateTimeOffset RecordedAt;
    public required string Source;
    public string? ErrorCode;
    public string? ErrorMessage;
    public string? DetailJson;
    public ReportOutcome Outcome;
}
