namespace Parley.Internal.Reports;

/// <summary>docs/lifecycle.md, rules 1–9: the status lifecycle as a pure function of the stored state and one report.
/// Because every field is a maximum (status by rank, the error by time) or a minimum (each <c>*_at</c>) over the
/// reports seen, applying a set of reports in any order gives the same message (rule 7). The writer calls this inside
/// the transaction that holds the message, so concurrent reports cannot race a status backwards (rule 1).</summary>
internal static class StatusRules
{
    /// <summary>Rank of each status (rule 1); cancelled is outside the ranking.</summary>
    public static int Rank(MessageStatus s) => s switch
    {
        MessageStatus.Pending => 0,
        MessageStatus.Sending => 1,
        MessageStatus.Sent => 2,
        MessageStatus.Failed => 3,
        MessageStatus.Delivered => 4,
        MessageStatus.Read => 5,
        _ => -1,
    };

    /// <summary>Whether a cancel command is accepted now (rule 8).</summary>
    public static bool CanCancel(MessageStatus current) =>
        current is MessageStatus.Pending or MessageStatus.Sending;

    /// <summary>Applies a provider report (any status but cancelled) and says whether it moved the status.</summary>
    public static ReportOutcome Apply(ref DeliveryState state, in Report report)
    {
        if (report.Status == MessageStatus.Cancelled)
            throw new ArgumentException("cancelled is a command; use Cancel.", nameof(report));

        var applied = state.Status != MessageStatus.Cancelled && Rank(report.Status) > Rank(state.Status);
        if (applied)
            state.Status = report.Status;

        var at = report.At;
        switch (report.Status)
        {
            case MessageStatus.Sent:
                // A real sent report replaces an implied time (rule 4), then the earliest wins (rule 3).
                state.SentAt = state.SentImplied || state.SentAt is null ? at : Timestamps.Min(state.SentAt, at);
                state.SentImplied = false;
                break;
            case MessageStatus.Delivered:
                state.DeliveredAt = state.DeliveredImplied || state.DeliveredAt is null ? at : Timestamps.Min(state.DeliveredAt, at);
                state.DeliveredImplied = false;
                ImplySent(ref state, at);
                break;
            case MessageStatus.Read:
                state.ReadAt = Timestamps.Min(state.ReadAt, at);
                if (state.DeliveredAt is null || state.DeliveredImplied)
                {
                    state.DeliveredAt = Timestamps.Min(state.DeliveredAt, at);
                    state.DeliveredImplied = true;
                }
                ImplySent(ref state, at);
                break;
            case MessageStatus.Failed:
                state.FailedAt = Timestamps.Min(state.FailedAt, at);
                if (IsLaterError(state, report))
                {
                    state.ErrorAt = at;
                    state.ErrorCode = report.ErrorCode;
                    state.ErrorMessage = report.ErrorMessage;
                }
                break;
        }
        return applied ? ReportOutcome.Applied : ReportOutcome.Stale;
    }

    /// <summary>Applies a cancel command (rule 8); the caller has checked <see cref="CanCancel"/>.</summary>
    public static void Cancel(ref DeliveryState state, DateTimeOffset at)
    {
        if (!CanCancel(state.Status))
            throw new ParleyConflictException($"a {WireNames.Of(state.Status)} message cannot be cancelled.");
        state.Status = MessageStatus.Cancelled;
        state.CancelledAt = at;
    }

    /// <summary>A duplicate (rule 6) adds nothing, but a failure repeated with another text must still pick the
    /// same text in every arrival order (rule 7): the tie-break of rule 5 decides. Returns whether it changed.</summary>
    public static bool ApplyDuplicateError(ref DeliveryState state, in Report report)
    {
        if (report.Status != MessageStatus.Failed || !IsLaterError(state, report)) return false;
        state.ErrorAt = report.At;
        state.ErrorCode = report.ErrorCode;
        state.ErrorMessage = report.ErrorMessage;
        return true;
    }

    private static void ImplySent(ref DeliveryState state, DateTimeOffset at)
    {
        // A delivery or read implies the message left; a failure does not (rule 4).
        if (state.SentAt is null || state.SentImplied)
        {
            state.SentAt = Timestamps.Min(state.SentAt, at);
            state.SentImplied = true;
        }
    }

    // Rule 5 picks the failure with the latest occurred_at; equal times are ordered by code, then text, so the
    // choice does not depend on arrival order.
    private static bool IsLaterError(in DeliveryState state, in Report report)
    {
        if (state.ErrorAt is not { } current) return true;
        if (report.At != current) return report.At > current;
        var byCode = string.CompareOrdinal(report.ErrorCode, state.ErrorCode);
        return byCode != 0 ? byCode > 0 : string.CompareOrdinal(report.ErrorMessage, state.ErrorMessage) > 0;
    }
}
