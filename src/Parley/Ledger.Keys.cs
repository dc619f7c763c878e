using System.Security.Cryptography;
using System.Text;
using Parley.Internal;
using Parley.Internal.Keys;

namespace Parley;

public sealed partial class Ledger
{
    /// <summary>Creates an API key confined to <paramref name="tenant"/>, or an admin key when it is null. The key is
    /// <c>pk_{id}_{secret}</c> (256 random bits); only an HMAC-SHA256 of it, keyed by <paramref name="keySecret"/>,
    /// is stored. The returned <see cref="NewApiKey.Secret"/> is the only copy.</summary>
    public async Task<NewApiKey> CreateApiKeyAsync(string? tenant, string? name, byte[] keySecret, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keySecret);
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var key = $"pk_{id}_{Base64Url(RandomNumberGenerator.GetBytes(32))}";
        var record = new ApiKey(id, Validate.Text(tenant, "tenant", 128, allowEmpty: false), tenant is null, Validate.Text(name, "name", 128), Now(), null);
        await _writer.Enqueue(new CreateKeyOp(record, Hash(key, keySecret)), cancellationToken);
        return new NewApiKey(record, key);
    }

    /// <summary>Every key, revoked ones included, without secrets.</summary>
    public Task<IReadOnlyList<ApiKey>> ListApiKeysAsync(CancellationToken cancellationToken = default) =>
        ReadAsync(_reader.ApiKeysAsync, cancellationToken, evenWhileSpooling: true);

    /// <summary>Revokes a key by id; false when there is no such active key.</summary>
    public async Task<bool> RevokeApiKeyAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return await _writer.Enqueue(new RevokeKeyOp(id), cancellationToken);
    }

    /// <summary>The active key a presented secret belongs to, or null (compared in constant time). A token without
    /// the shape of a key is refused before any lookup.</summary>
    public async Task<ApiKey?> AuthenticateAsync(string presented, byte[] keySecret, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(presented);
        if (!IsWellFormedKey(presented)) return null;
        if (await ReadAsync(ct => _reader.ApiKeyAsync(presented[3..15], ct), cancellationToken, evenWhileSpooling: true) is not { } stored
            || stored.Key.RevokedAt is not null)
            return null;
        var matches = CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Hash(presented, keySecret)), Encoding.ASCII.GetBytes(stored.Hash));
        return matches ? stored.Key : null;
    }

    /// <summary>Whether a token has the shape <see cref="CreateApiKeyAsync"/> gives every key: <c>pk_</c>, 12 lower-case
    /// hex digits (the id), <c>_</c>, 43 base64url characters (the secret, which may itself hold <c>_</c>).</summary>
    public static bool IsWellFormedKey(ReadOnlySpan<char> token)
    {
        if (token.Length != 59 || !token.StartsWith("pk_", StringComparison.Ordinal) || token[15] != '_') return false;
        foreach (var c in token[3..15])
            if (!char.IsAsciiHexDigitLower(c)) return false;
        foreach (var c in token[16..])
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_')) return false;
        return true;
    }

    private static string Hash(string key, byte[] secret) => Convert.ToHexStringLower(HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(key)));

    private static string Base64Url(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}
