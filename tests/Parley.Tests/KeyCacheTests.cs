using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Parley.AspNetCore.Http;

namespace Parley.Tests;

/// <summary>Bogus Bearer tokens cost the server nothing it keeps: a token that cannot be a key
/// (<c>pk_{12 hex}_{43 base64url}</c>) is refused by its shape, and no failure is remembered (docs/security.md, HTTP).</summary>
public class KeyCacheTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private ServerFixture _s = null!;
    private string _key = null!;

    public async Task InitializeAsync()
    {
        _s = await ServerFixture.StartAsync(TestDatabases.Sqlite, o => o with { Time = _clock });
        _key = (await _s.Ledger.CreateApiKeyAsync("acme", null, KeySecret.Load("sqlite:" + _s.DbPath))).Secret;
    }

    public async Task DisposeAsync() => await _s.DisposeAsync();

    private async Task<HttpStatusCode> As(string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/sessions");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + key);
        using var response = await _s.Http.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task long_and_malformed_tokens_are_refused_and_never_cached()
    {
        var keys = _s.Services.GetRequiredService<ApiKeys>();
        var filler = new string('A', 30_000);
        for (var i = 0; i < 300; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await As($"pk_{i:x12}_{filler}"));
            Assert.Equal(HttpStatusCode.Unauthorized, await As($"pk_{i}_x"));
        }
        Assert.Equal(0, keys.CachedCount);

        // Well-formed tokens that match no key are looked up, and not remembered either.
        for (var i = 0; i < 300; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, await As($"pk_{i:x12}_{new string('B', 43)}"));
        Assert.Equal(HttpStatusCode.Unauthorized, await As(_key[..^1] + (_key[^1] == 'A' ? 'B' : 'A')));
        Assert.Equal(HttpStatusCode.Unauthorized, await As(_key + "A"));
        Assert.Equal(0, keys.CachedCount);

        Assert.Equal(HttpStatusCode.OK, await As(_key));
        Assert.Equal(HttpStatusCode.OK, await As(_key));
        Assert.Equal(1, keys.CachedCount);
    }
}
