namespace Parley.Internal.Writing.Ops;

/// <summary>Stores a new API key's hash, with a system event.</summary>
internal sealed class CreateKeyOp(ApiKey key, string hash) : WriteOp<bool>
{
    protected override bool Write(WriteBatch batch)
    {
        batch.Store.InsertApiKey(key, hash);
        batch.Store.InsertSystemEvent(SystemEventLevel.Info, "keys", "key_created",
            System.Text.Json.JsonSerializer.Serialize(new { id = key.Id, tenant = key.Tenant, admin = key.Admin }), batch.Now);
        return true;
    }
}

/// <summary>Revokes a key; false when it does not exist or was already revoked.</summary>
internal sealed class RevokeKeyOp(string id) : WriteOp<bool>
{
    protected override bool Write(WriteBatch batch)
    {
        var revoked = batch.Store.RevokeApiKey(id, batch.Now);
        if (revoked)
            batch.Store.InsertSystemEvent(SystemEventLevel.Warning, "keys", "key_revoked", System.Text.Json.JsonSerializer.Serialize(new { id }), batch.Now);
        return revoked;
    }
}
