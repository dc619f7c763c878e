namespace Parley.Internal.Kernel;

// AdoWriteStore: the API key statements (IKeyWrites) and system events (ISystemEventWrites).
internal abstract partial class AdoWriteStore
{
    public void InsertApiKey(ApiKey key, string hash) => Exec(
        "INSERT INTO parley_api_keys (id, hash, tenant, admin, name, created_at) VALUES (@p0, @p1, @p2, @p3, @p4, @p5)",
        key.Id, hash, key.Tenant, key.Admin, key.Name, key.CreatedAt);

    public bool RevokeApiKey(string id, DateTimeOffset at) =>
        Exec("UPDATE parley_api_keys SET revoked_at = @p1 WHERE id = @p0 AND revoked_at IS NULL", id, at) > 0;

    public void InsertSystemEvent(SystemEventLevel level, string source, string name, string? detailJson, DateTimeOffset at) => Exec(
        "INSERT INTO parley_system_events (level, source, event, detail, at) VALUES (@p0, @p1, @p2, @p3, @p4)",
        WireNames.Of(level), source, name, new JsonText(detailJson), at);
}
