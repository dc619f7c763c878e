using Parley.Internal.Kernel;
using Parley.Internal.Reports;

namespace Parley.Internal.ReadMarkers;

/// <summary>Moves a reader's marker forward (never back) and reports <c>read</c> for every message it passes that
/// the reader reads (docs/lifecycle.md, "Read markers"). Result: how many messages it marked.</summary>
internal sealed class MarkReadOp(string? scope, string sessionId, Reader reader, string? upTo, DateTimeOffset at, string source) : WriteOp<int>
{
    protected override int Write(WriteBatch batch)
    {
        var session = batch.RequireSession(scope, sessionId, "id");
        var row = session.Row;
        var tenantKey = row.TenantKey;
        var target = row.LastSeq;
        if (upTo is not null)
        {
            target = batch.Store.ReadMarkers.SeqOf(tenantKey, sessionId, upTo)
                     ?? throw new ParleyNotFoundException($"message '{upTo}' is not in session '{sessionId}'.", "up_to");
        }
        var marker = session.MarkerOf(reader);
        if (target <= marker) return 0;

        var marked = 0;
        foreach (var message in batch.Store.ReadMarkers.MessagesBetween(tenantKey, sessionId, marker, target))
        {
            if (!Readers.Reads(reader, message.SenderType)) continue;
            var report = new ValidReport(MessageStatus.Read, at, null, null, null, null, null, source);
            ReportApplier.Apply(batch, message, session, report);
            marked++;
        }
        if (reader == Reader.Agent)
        {
            row.AgentReadSeq = target;
            row.UnreadForAgent = batch.Store.ReadMarkers.CountUnread(tenantKey, sessionId, reader, target);
        }
        else
        {
            row.UserReadSeq = target;
            row.UnreadForUser = batch.Store.ReadMarkers.CountUnread(tenantKey, sessionId, reader, target);
        }
        session.Touch(batch.Now);
        return marked;
    }
}
