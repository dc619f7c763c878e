using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Time.Testing;

namespace Parley.Tests;

/// <summary>An open <c>GET /api/v1/events</c> stream re-checks its key as it goes and ends once the key is revoked
/// (docs/security.md, HTTP).</summary>
public class EventStreamRevocationTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private ServerFixture _s = null!;

    public async Task InitializeAsync() => _s = await ServerFixture.StartAsync(TestDatabases.Sqlite, o => o with { Time = _clock });

    public async Task DisposeAsync() => await _s.DisposeAsync();

    private async Task<(HttpResponseMessage Response, StreamReader Reader)> Open(string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/events");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var response = await _s.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal(": connected", await reader.ReadLineAsync());
        return (response, reader);
    }

    /// <summary>The next line that is not blank or a comment, or null once the stream has ended.</summary>
    private static async Task<string?> NextData(StreamReader reader, TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
            if (line.Length > 0 && !line.StartsWith(':')) return line;
        return null;
    }

    [Fact]
    public async Task a_stream_ends_once_its_key_is_revoked_and_others_carry_on()
    {
        var secret = KeySecret.Load("sqlite:" + _s.DbPath);
        var doomed = await _s.Ledger.CreateApiKeyAsync(null, "doomed", secret);
        var kept = (await _s.Ledger.CreateApiKeyAsync(null, "kept", secret)).Secret;
        var (first, revokedStream) = await Open(doomed.Secret);
        var (second, keptStream) = await Open(kept);
        using (first)
        using (second)
        {
            _clock.Advance(TimeSpan.FromSeconds(10)); // checks pass while the key is active
            Assert.True(await _s.Ledger.RevokeApiKeyAsync(doomed.Key.Id));
            _clock.Advance(TimeSpan.FromSeconds(10)); // past the key cache and at least one check

            // The revoked stream ends (bounded wait; the check runs on the test clock).
            Assert.Null(await NextData(revokedStream, TimeSpan.FromSeconds(20)));

            Assert.Equal(HttpStatusCode.Created, (await _s.Send(HttpMethod.Post, "/api/v1/sessions", """{"id": "after"}""", kept)).Response.StatusCode);
            Assert.Equal("event: session.created", await NextData(keptStream, TimeSpan.FromSeconds(20)));
        }
    }
}
