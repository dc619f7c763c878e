using Parley.Internal.Kernel;

namespace Parley.Internal.Sessions;

/// <summary>Deletes a session; its messages, events and facets go with it (foreign keys cascade), and its messages
/// leave the rollups.</summary>
internal sealed class DeleteSessionOp(string? scope, string id) : WriteOp<bool>
{
    protected override bool Write(WriteBatch batch)
    {
        if (batch.Session(scope, id) is not { } session) return false;
        var tenantKey = session.Row.TenantKey;
        // The messages go with the session: out of the rollups first (docs/analytics.md).
        foreach (var m in batch.Store.Stats.SessionMessages(tenantKey, id)) batch.Stats.Add(batch.Store.Stats, m, -1);
        var deleted = batch.Store.Sessions.DeleteSession(tenantKey, id);
        batch.DeleteSession(tenantKey, id);
        return deleted;
    }
}
