using Parley.Internal.Kernel;

namespace Parley.Internal.Sessions;

/// <summary>Deletes a session; its messages, events and facets go with it (foreign keys cascade).</summary>
internal sealed class DeleteSessionOp(string? scope, string id) : WriteOp<bool>
{
    protected override bool Write(WriteBatch batch)
    {
        if (batch.Session(scope, id) is not { } session) return false;
        var tenantKey = session.Row.TenantKey;
        var deleted = batch.Store.Sessions.DeleteSession(tenantKey, id);
        batch.DeleteSession(tenantKey, id);
        return deleted;
    }
}
