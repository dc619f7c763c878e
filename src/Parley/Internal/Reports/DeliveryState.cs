namespace Parley.Internal.Reports;

/// <summary>The part of a message the status lifecycle decides. <see cref="SentImplied"/> and <see cref="ErrorAt"/>
/// are kept (in the database too) so that each report can be applied on its own, in any order, and still reach the
/// state the whole set of reports defines.</summary>
internal record struct DeliveryState
{
    public MessageStatus Status;
    public DateTimeOffset? SentAt;
    public DateTimeOffset? DeliveredAt;
    public DateTimeOffset? ReadAt;
    public DateTimeOffset? FailedAt;
    public DateTimeOffset? CancelledAt;
    public bool SentImplied;
    public bool DeliveredImplied;
    public string? ErrorCode;
    public string? ErrorMessage;
    /// <summary>The <c>occurred_at</c> of the failure report the error fields came from
    /// (docs/lifecycle.md, rule 5).</summary>
    public DateTimeOffset? ErrorAt;
}

/// <summary>One report as the lifecycle sees it.</summary>
internal readonly record struct Report(MessageStatus Status, DateTimeOffset At, string? ErrorCode, string? ErrorMessage);
