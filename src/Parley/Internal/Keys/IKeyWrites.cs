namespace Parley.Internal.Keys;

/// <summary>What the writer writes of API keys (<see cref="Kernel.WriteStore.Keys"/>).</summary>
internal interface IKeyWrites
{
    void InsertApiKey(ApiKey key, string hash);
    bool RevokeApiKey(string id, DateTimeOffset at);
}
