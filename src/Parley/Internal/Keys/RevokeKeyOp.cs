using Parley.Internal.Kernel;

namespace Parley.Internal.Keys;

/// <summary>Revokes a key; false when it does not exist or was already revoked.</summary>
internal sealed class RevokeKeyOp(string id) : WriteOp<bool>
{
    protected override bool Write(WriteBatch batch)
    {
        var revoked = batch.Store.Keys.RevokeApiKey(id, batch.Now);
        if (revoked)
            batch.Store.SystemEvents.InsertSystemEvent(SystemEventLevel.Warning, "keys", "key_revoked", System.Text.Json.JsonSerializer.Serialize(new { id }), batch.Now);
        return revoked;
    }
}
