using System.Data.Common;
using Parley.Internal.Kernel;
using static Parley.Internal.Kernel.RowReaders;

namespace Parley.Internal.Keys;

/// <summary>The reads of API keys (docs/security.md, "API keys"): every key, and one key with its stored hash.</summary>
internal static class KeyQueries
{
    public static async Task<IReadOnlyList<ApiKey>> ApiKeysAsync(this ReadDatabase db, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        return await db.QueryRowsAsync(conn, ct, "SELECT id, tenant, admin, name, created_at, revoked_at FROM parley_api_keys ORDER BY created_at, id", ReadKey);
    }

    /// <summary>The key with this id and its stored hash, or null.</summary>
    public static async Task<(ApiKey Key, string Hash)?> ApiKeyAsync(this ReadDatabase db, string id, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        return (await db.QueryRowsAsync(conn, ct, "SELECT id, tenant, admin, name, created_at, revoked_at, hash FROM parley_api_keys WHERE id = @id",
            r => ((ApiKey Key, string Hash)?)(ReadKey(r), r.GetString(6)), ("@id", id))).FirstOrDefault();
    }

    private static ApiKey ReadKey(DbDataReader r) => new(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), Flag(r, 2),
        r.IsDBNull(3) ? null : r.GetString(3), TimeAt(r, 4), Time(r, 5));
}
