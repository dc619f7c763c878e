using Parley.Internal.Kernel;
using Parley.Internal.ReadMarkers;

namespace Parley.Internal.Retention;

/// <summary>Retention (docs/cli.md, "maintain, cleanup"): deletes up to <paramref name="limit"/> of the oldest messages
/// created before <paramref name="cutoff"/> (their events go with them) and takes them out of their sessions'
/// summaries, in one short transaction of the writer, so that writers wait at most one batch. Result: how many it
/// deleted.</summary>
internal sealed class CleanupBatchOp(DateTimeOffset cutoff, int limit) : WriteOp<int>
{
    protected override int Write(WriteBatch batch)
    {
        var rows = batch.Store.Retention.OldestBefore(cutoff, limit);
        var touched = new Dictionary<(string TenantKey, string Id), SessionState>();
        foreach (var m in rows)
        {
            var session = batch.RequireSession(m.TenantKey, m.SessionId);
            touched[(m.TenantKey, m.SessionId)] = session;
            batch.Store.Retention.DeleteMessage(m.TenantKey, m.Id);
            batch.Stats.Add(batch.Store.Stats, m, -1);
            var row = session.Row;
            row.MessageCount--;
            var reader = Readers.ReaderOf(m.SenderType);
            if (m.SessionSeq > session.MarkerOf(reader))
            {
                if (reader == Reader.Agent) row.UnreadForAgent--;
                else row.UnreadForUser--;
            }
            batch.AddFacet(m.TenantKey, m.SessionId, WriteBatch.StatusFacet, WireNames.Of(m.Delivery.Status), -1);
            batch.AddFacet(m.TenantKey, m.SessionId, WriteBatch.ChannelFacet, m.Channel, -1);
            if (m.Template is not null) batch.AddFacet(m.TenantKey, m.SessionId, WriteBatch.TemplateFacet, m.Template, -1);
        }
        // The rows went in created_at order, so what a session has left was created at or after the batch's last
        // row: its last message is unchanged unless none is left, and its first is the earliest from there on.
        var through = rows.Count > 0 ? rows[^1].CreatedAt : cutoff;
        foreach (var ((tenantKey, id), session) in touched)
        {
            var row = session.Row;
            if (row.FirstMessageAt is { } first && first <= through) row.FirstMessageAt = batch.Store.Retention.FirstCreatedFrom(tenantKey, id, through);
            if (row.FirstMessageAt is null) row.LastMessageAt = null;
            session.MarkChanged();
        }
        return rows.Count;
    }
}
