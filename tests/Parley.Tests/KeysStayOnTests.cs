using System.Net;
using Microsoft.Extensions.Time.Testing;

namespace Parley.Tests;

/// <summary>docs/security.md (HTTP): once keys have been used, revoking the last one does not switch authentication off
/// (docs/security.md, HTTP).</summary>
public class KeysStayOnTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private ServerFixture _s = null!;

    public async Task InitializeAsync() => _s = await ServerFixture.StartAsync(TestDatabases.Sqlite, o => o with { Time = _clock });

    public async Task DisposeAsync() => await _s.DisposeAsync();

    private async Task<HttpStatusCode> As(string? key, HttpMethod method, string path) => (await _s.Send(method, path, key: key)).Response.StatusCode;

    [Fact]
    public async Task revoking_the_only_key_leaves_every_keyless_request_refused()
    {
        Assert.Equal(HttpStatusCode.OK, await As(null, HttpMethod.Get, "/api/v1/sessions")); // no keys yet: open on loopback
        var created = await _s.Ledger.CreateApiKeyAsync(null, "ops", KeySecret.Load("sqlite:" + _s.DbPath));
        _clock.Advance(TimeSpan.FromMinutes(1)); // past every cached answer
        Assert.Equal(HttpStatusCode.OK, await As(created.Secret, HttpMethod.Get, "/api/v1/sessions"));
        Assert.Equal(HttpStatusCode.Unauthorized, await As(null, HttpMethod.Get, "/api/v1/sessions"));

        Assert.True(await _s.Ledger.RevokeApiKeyAsync(created.Key.Id));
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.Unauthorized, await As(null, HttpMethod.Get, "/api/v1/sessions"));
        Assert.Equal(HttpStatusCode.Unauthorized, await As(null, HttpMethod.Delete, "/api/v1/sessions/any"));
        Assert.Equal(HttpStatusCode.Unauthorized, await As(null, HttpMethod.Get, "/api/v1/system/events"));
        Assert.Equal(HttpStatusCode.Unauthorized, await As(created.Secret, HttpMethod.Get, "/api/v1/sessions"));
        _clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(HttpStatusCode.Unauthorized, await As(null, HttpMethod.Get, "/api/v1/sessions"));
    }
}
