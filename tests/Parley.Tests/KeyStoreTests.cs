using System.Security.Cryptography;

namespace Parley.Tests;

/// <summary>API keys (docs/security.md, "API keys") through the library on every engine: created, listed, checked and
/// revoked, stored only as a keyed hash, and a revoked key, a wrong secret or a key of the right shape that was never
/// made authenticates nothing.</summary>
public class KeyStoreTests
{
    [EngineTheory]
    [MemberData(nameof(TestDatabases.All), MemberType = typeof(TestDatabases))]
    public async Task keys_are_stored_as_hashes_authenticate_with_their_secret_and_stop_when_revoked(string engine)
    {
        using var db = new EngineDatabase(engine);
        var secret = RandomNumberGenerator.GetBytes(32);
        await using var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = db.Url });

        var acme = await ledger.CreateApiKeyAsync("acme", "acme sender", secret);
        var admin = await ledger.CreateApiKeyAsync(null, null, secret);
        Assert.False(acme.Key.Admin);
        Assert.True(admin.Key.Admin);

        var listed = await ledger.ListApiKeysAsync();
        Assert.Equal(new[] { acme.Key.Id, admin.Key.Id }.Order(StringComparer.Ordinal), listed.Select(k => k.Id).Order(StringComparer.Ordinal));
        Assert.Equal("acme", listed.Single(k => k.Id == acme.Key.Id).Tenant);
        Assert.Equal("acme sender", listed.Single(k => k.Id == acme.Key.Id).Name);

        Assert.Equal(acme.Key.Id, (await ledger.AuthenticateAsync(acme.Secret, secret))?.Id);
        Assert.Equal(admin.Key.Id, (await ledger.AuthenticateAsync(admin.Secret, secret))?.Id);
        Assert.Null(await ledger.AuthenticateAsync(acme.Secret, RandomNumberGenerator.GetBytes(32)));
        var forged = acme.Secret[..16] + new string('A', 43);
        Assert.True(Ledger.IsWellFormedKey(forged));
        Assert.Null(await ledger.AuthenticateAsync(forged, secret));

        // Only the hash is stored: the secret part appears in no column of the table.
        var secretPart = acme.Secret[16..];
        Assert.Equal(0, db.Scalar($"SELECT count(*) FROM parley_api_keys WHERE hash LIKE '%{secretPart}%' OR id LIKE '%{secretPart}%' OR name LIKE '%{secretPart}%'"));
        Assert.Equal(2, db.Scalar("SELECT count(*) FROM parley_api_keys"));

        Assert.True(await ledger.RevokeApiKeyAsync(acme.Key.Id));
        Assert.False(await ledger.RevokeApiKeyAsync(acme.Key.Id));
        Assert.Null(await ledger.AuthenticateAsync(acme.Secret, secret));
        Assert.NotNull((await ledger.ListApiKeysAsync()).Single(k => k.Id == acme.Key.Id).RevokedAt);
        Assert.Equal(admin.Key.Id, (await ledger.AuthenticateAsync(admin.Secret, secret))?.Id);
    }
}
