using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Parley.Tests;

/// <summary>What an operator sees of an outage (docs/security.md, HTTP): each expected 503 is one warning line
/// without a stack trace, and <c>/health/ready</c> shows the spool's path only to an admin key once keys are on.</summary>
public class UnavailableAnswerTests : IAsyncLifetime
{
    private readonly CapturedLog _log = new();
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private ServerFixture _s = null!;

    public async Task InitializeAsync()
    {
        _s = await ServerFixture.StartThroughContractAsync(TestDatabases.Sqlite, o => o with { ExtraLogger = _log, Time = _clock });
        Assert.Equal(HttpStatusCode.Created, (await _s.PostJson("/api/v1/sessions", """{"id": "s"}""")).StatusCode);
    }

    public async Task DisposeAsync()
    {
        await _s.DisposeAsync();
        _log.Dispose();
    }

    private async Task<(HttpStatusCode Status, string Body)> Ready(string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health/ready");
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await _s.Http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task each_expected_503_is_one_warning_without_a_stack_trace()
    {
        using (TestDatabases.LockSqlite(_s.DbPath))
        {
            Assert.Equal(HttpStatusCode.Accepted, (await _s.PostJson("/api/v1/sessions/s/messages", """{"id": "m1", "sender_type": "agent", "content": "while locked"}""")).StatusCode);
            _log.Entries.Clear();
            for (var i = 0; i < 3; i++)
            {
                using var read = await _s.Http.GetAsync("/api/v1/messages/m1");
                Assert.Equal(HttpStatusCode.ServiceUnavailable, read.StatusCode);
            }
        }
        var logged = _log.Entries.Where(e => e.Level >= LogLevel.Warning).ToList();
        Assert.Equal(3, logged.Count);
        Assert.All(logged, e =>
        {
            Assert.Equal(LogLevel.Warning, e.Level);
            Assert.Null(e.Exception);
            Assert.Contains("/api/v1/messages/m1", e.Message, StringComparison.Ordinal);
        });
        SqliteConnection.ClearAllPools();
    }

    [Fact]
    public async Task with_keys_on_health_shows_the_spool_path_only_to_an_admin_key()
    {
        var spoolPath = JsonNode.Parse((await Ready(null)).Body)!["spool"]!["path"]!.GetValue<string>(); // keyless: all of it
        var secret = KeySecret.Load("sqlite:" + _s.DbPath);
        var admin = (await _s.Ledger.CreateApiKeyAsync(null, null, secret)).Secret;
        var tenant = (await _s.Ledger.CreateApiKeyAsync("acme", null, secret)).Secret;
        _clock.Advance(TimeSpan.FromMinutes(1)); // past the cached "keys off"

        foreach (var key in new[] { null, tenant, "pk_000000000000_" + new string('A', 43) })
        {
            var (status, body) = await Ready(key);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.DoesNotContain(spoolPath, body, StringComparison.Ordinal);
            var health = JsonNode.Parse(body)!;
            Assert.Equal("ready", (string?)health["status"]);
            Assert.Equal(0, (int)health["spool"]!["pending"]!);
        }
        Assert.Equal(spoolPath, (string?)JsonNode.Parse((await Ready(admin)).Body)!["spool"]!["path"]);
    }
}
