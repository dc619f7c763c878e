using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Parley.Server.Http;

namespace Parley.Tests;

/// <summary>Another tenant's session id behaves as an id this tenant cannot have: creating it neither returns nor
/// changes the stored session (docs/security.md).</summary>
public class TenantIsolationTests : IAsyncLifetime
{
    private ServerFixture _s = null!;
    private string _acme = null!, _globex = null!, _admin = null!;

    public async Task InitializeAsync()
    {
        _s = await ServerFixture.StartAsync();
        var secret = KeySecret.Load("sqlite:" + _s.DbPath);
        _acme = (await _s.Ledger.CreateApiKeyAsync("acme", "acme", secret)).Secret;
        _globex = (await _s.Ledger.CreateApiKeyAsync("globex", null, secret)).Secret;
        _admin = (await _s.Ledger.CreateApiKeyAsync(null, "ops", secret)).Secret;
    }

    public async Task DisposeAsync() => await _s.DisposeAsync();

    private async Task<(HttpStatusCode Status, string Text)> As(string key, HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        var response = await _s.Http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task creating_another_tenants_session_id_reveals_and_changes_nothing()
    {
        var made = await As(_acme, HttpMethod.Post, "/api/v1/sessions",
            """{"id": "shared-1", "title": "acme secret title", "metadata": {"plan": "acme-only"}}""");
        Assert.Equal(HttpStatusCode.Created, made.Status);
        await As(_acme, HttpMethod.Post, "/api/v1/sessions/shared-1/messages", """{"sender_type": "agent", "content": "acme words"}""");

        var squat = await As(_globex, HttpMethod.Post, "/api/v1/sessions", """{"id": "shared-1", "title": "globex"}""");
        Assert.Equal(HttpStatusCode.Conflict, squat.Status);
        foreach (var leak in new[] { "acme", "secret", "plan", "message_count" }) Assert.DoesNotContain(leak, squat.Text, StringComparison.Ordinal);

        // The stored session is as acme left it, and still acme's.
        var stored = JsonNode.Parse((await As(_acme, HttpMethod.Get, "/api/v1/sessions/shared-1")).Text)!;
        Assert.Equal("acme secret title", (string?)stored["title"]);
        Assert.Equal("acme", (string?)stored["tenant"]);
        Assert.Equal(1, (int)stored["summary"]!["message_count"]!);
        Assert.Equal(HttpStatusCode.NotFound, (await As(_globex, HttpMethod.Get, "/api/v1/sessions/shared-1")).Status);

        // Acme's own retry is still the idempotent 200, and an admin sees the stored session.
        Assert.Equal(HttpStatusCode.OK, (await As(_acme, HttpMethod.Post, "/api/v1/sessions", """{"id": "shared-1"}""")).Status);
        var admin = await As(_admin, HttpMethod.Post, "/api/v1/sessions", """{"id": "shared-1"}""");
        Assert.Equal(HttpStatusCode.OK, admin.Status);
        Assert.Equal("acme", (string?)JsonNode.Parse(admin.Text)!["tenant"]);
    }
}
