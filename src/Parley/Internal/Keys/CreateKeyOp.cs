using Parley.Internal.Kernel;

namespace Parley.Internal.Keys;

/// <summary>Stores a new API key's hash, with a system event.</summary>
internal sealed class CreateKeyOp(ApiKey key, string hash) : WriteOp<bool>
{
    protected override bool Write(WriteBatch batch)
    {
        batch.Store.Keys.InsertApiKey(key, hash);
        batch.Store.SystemEvents.InsertSystemEvent(SystemEventLevel.Info, "keys", "key_created",
            System.Text.Json.JsonSerializer.Serialize(new { id = key.Id, tenant = key.Tenant, admin = key.Admin }), batch.Now);
        return true;
    }
}
