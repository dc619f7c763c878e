using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Parley.Tests;

/// <summary>docs/http-api.md, "Access", from the outside: keys required once any exists, stored only hashed, and a
/// tenant key that cannot see or touch another tenant's data (its ids answer 404, never 403).</summary>
public class ApiKeyTests : IAsyncLifetime
{
    private ServerFixture _s = null!;
    private string _acme = null!, _globex = null!, _admin = null!;

    public async Task InitializeAsync()
    {
        _s = await ServerFixture.StartThroughContractAsync();
        var secret = KeySecret.Load("sqlite:" + _s.DbPath);
        _acme = (await _s.Ledger.CreateApiKeyAsync("acme", "acme", secret)).Secret;
        _globex = (await _s.Ledger.CreateApiKeyAsync("globex", null, secret)).Secret;
        _admin = (await _s.Ledger.CreateApiKeyAsync(null, "ops", secret)).Secret;
    }

    public async Task DisposeAsync() => await _s.DisposeAsync();

    private async Task<(HttpStatusCode Status, JsonNode? Body)> As(string? key, HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        var response = await _s.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    [Fact]
    public async Task requests_without_a_valid_key_are_401_and_keys_are_stored_only_as_hashes()
    {
        var (status, body) = await As(null, HttpMethod.Get, "/api/v1/sessions");
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(401, (int)body!["status"]!);
        Assert.Equal(HttpStatusCode.Unauthorized, (await As("pk_nope_nope", HttpMethod.Get, "/api/v1/sessions")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await As(_acme + "x", HttpMethod.Get, "/api/v1/sessions")).Status);
        var secret = KeySecret.Load("sqlite:" + _s.DbPath);
        var revoked = await _s.Ledger.CreateApiKeyAsync("acme", null, secret);
        await _s.Ledger.RevokeApiKeyAsync(revoked.Key.Id);
        Assert.Equal(HttpStatusCode.Unauthorized, (await As(revoked.Secret, HttpMethod.Get, "/api/v1/sessions")).Status);
        // Health and metrics stay open for probes.
        Assert.Equal(HttpStatusCode.OK, (await _s.Http.GetAsync("/health/ready")).StatusCode);

        var stored = File.ReadAllBytes(_s.DbPath).Concat(File.Exists(_s.DbPath + "-wal") ? File.ReadAllBytes(_s.DbPath + "-wal") : []).ToArray();
        // Everything after "pk_{id}_" (the base64url secret may itself hold underscores).
        var secretPart = _acme[(_acme.IndexOf('_', 3) + 1)..];
        Assert.False(Encoding.ASCII.GetString(stored).Contains(secretPart, StringComparison.Ordinal), "the key's secret is stored in the database");
    }

    [Fact]
    public async Task a_tenant_key_sees_and_touches_only_its_tenant()
    {
        var (status, session) = await As(_acme, HttpMethod.Post, "/api/v1/sessions", """{"id": "acme-1", "tenant": "globex"}""");
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal("acme", (string?)session!["tenant"]); // forced to the key's tenant
        var (_, m) = await As(_acme, HttpMethod.Post, "/api/v1/sessions/acme-1/messages", """{"sender_type": "system", "channel": "sms", "content": "secret", "provider_message_id": "SM-acme"}""");
        var mid = (string)m!["id"]!;

        Assert.Equal(HttpStatusCode.NotFound, (await As(_globex, HttpMethod.Get, "/api/v1/sessions/acme-1")).Status);
        Assert.Equal(0, (int)(await As(_globex, HttpMethod.Get, "/api/v1/sessions")).Body!["total"]!);
        Assert.Equal(HttpStatusCode.NotFound, (await As(_globex, HttpMethod.Get, "/api/v1/sessions/acme-1/messages")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await As(_globex, HttpMethod.Post, "/api/v1/sessions/acme-1/messages", """{"sender_type": "user", "content": "hi"}""")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await As(_globex, HttpMethod.Get, $"/api/v1/messages/{mid}")).Status);
        Assert.Empty((await As(_globex, HttpMethod.Get, "/api/v1/messages?provider_message_id=SM-acme")).Body!["items"]!.AsArray());
        Assert.Equal(HttpStatusCode.NotFound, (await As(_globex, HttpMethod.Post, $"/api/v1/messages/{mid}/status", """{"status": "delivered"}""")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await As(_globex, HttpMethod.Patch, "/api/v1/sessions/acme-1", """{"title": "mine"}""")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await As(_globex, HttpMethod.Post, "/api/v1/sessions/acme-1/end")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await As(_globex, HttpMethod.Post, "/api/v1/sessions/acme-1/read", """{"reader": "agent"}""")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await As(_globex, HttpMethod.Delete, "/api/v1/sessions/acme-1")).Status);
        var (_, batch) = await As(_globex, HttpMethod.Post, "/api/v1/status-reports",
            $$"""{"reports": [{"message_id": "{{mid}}", "status": "read"}, {"provider_message_id": "SM-acme", "status": "read"}]}""");
        // By message id: unknown to globex. By provider id: none of globex's messages carries it, so it is parked
        // for globex (docs/lifecycle.md, rule 9), where only globex's messages can take it.
        Assert.Equal(404, (int)batch!["results"]![0]!["error"]!["status"]!);
        Assert.True((bool)batch["results"]![1]!["parked"]!);
        Assert.Equal(HttpStatusCode.Forbidden, (await As(_globex, HttpMethod.Get, "/api/v1/system/events")).Status);

        // Nothing globex tried changed acme's data.
        var (_, mine) = await As(_acme, HttpMethod.Get, $"/api/v1/messages/{mid}");
        Assert.Equal("pending", (string?)mine!["status"]);
        Assert.Empty(mine["events"]!.AsArray());
        var (_, own) = await As(_acme, HttpMethod.Get, "/api/v1/sessions/acme-1");
        Assert.Equal("active", (string?)own!["status"]);
        Assert.Null((string?)own["title"]);

        // The owner and an admin see it.
        Assert.Equal(HttpStatusCode.OK, (await As(_acme, HttpMethod.Post, $"/api/v1/messages/{mid}/status", """{"status": "delivered"}""")).Status);
        Assert.Equal(1, (int)(await As(_admin, HttpMethod.Get, "/api/v1/sessions")).Body!["total"]!);
        Assert.Equal(HttpStatusCode.OK, (await As(_admin, HttpMethod.Get, "/api/v1/system/events")).Status);
    }

    [Fact]
    public async Task every_new_key_authenticates_whatever_characters_its_secret_has()
    {
        var secret = KeySecret.Load("sqlite:" + _s.DbPath);
        for (var i = 0; i < 60; i++)
        {
            var created = await _s.Ledger.CreateApiKeyAsync($"t{i}", null, secret);
            Assert.Equal(created.Key.Id, (await _s.Ledger.AuthenticateAsync(created.Secret, secret))?.Id);
            Assert.Null(await _s.Ledger.AuthenticateAsync(created.Secret, [.. secret.Reverse()]));
        }
    }

    [Fact]
    public async Task ids_are_a_namespace_per_tenant_and_an_admin_names_the_tenant()
    {
        var made = await As(_acme, HttpMethod.Post, "/api/v1/sessions",
            """{"id": "shared-1", "title": "acme secret title", "metadata": {"plan": "acme-only"}}""");
        Assert.Equal(HttpStatusCode.Created, made.Status);
        var acmeMessage = (await As(_acme, HttpMethod.Post, "/api/v1/sessions/shared-1/messages",
            """{"id": "m-1", "sender_type": "agent", "channel": "sms", "content": "acme words", "provider_message_id": "SM-1"}""")).Body!;

        // Globex creates the same session id, message id and provider id: its own, new objects; nothing reveals acme's.
        var (created, theirs) = await As(_globex, HttpMethod.Post, "/api/v1/sessions", """{"id": "shared-1", "title": "globex"}""");
        Assert.Equal(HttpStatusCode.Created, created);
        Assert.Equal("globex", (string?)theirs!["tenant"]);
        Assert.Equal(0, (int)theirs["summary"]!["message_count"]!);
        foreach (var leak in new[] { "acme", "secret", "plan" }) Assert.DoesNotContain(leak, theirs.ToJsonString(), StringComparison.Ordinal);
        var (logged, globexMessage) = await As(_globex, HttpMethod.Post, "/api/v1/sessions/shared-1/messages",
            """{"id": "m-1", "sender_type": "agent", "channel": "sms", "content": "globex words", "provider_message_id": "SM-1"}""");
        Assert.Equal(HttpStatusCode.Created, logged);
        Assert.Equal("globex words", (string?)globexMessage!["content"]);

        // Each tenant's provider callback reaches its own message only.
        var (_, report) = await As(_globex, HttpMethod.Post, "/api/v1/status-reports", """{"reports": [{"provider_message_id": "SM-1", "status": "delivered"}]}""");
        Assert.Equal("applied", (string?)report!["results"]![0]!["outcome"]);
        Assert.Equal("delivered", (string?)(await As(_globex, HttpMethod.Get, "/api/v1/messages/m-1")).Body!["status"]);
        var acmeNow = (await As(_acme, HttpMethod.Get, "/api/v1/messages/m-1")).Body!;
        Assert.Equal("pending", (string?)acmeNow["status"]);
        Assert.Equal("acme words", (string?)acmeNow["content"]);
        Assert.Equal((string?)acmeMessage["created_at"], (string?)acmeNow["created_at"]);
        var acmeSession = (await As(_acme, HttpMethod.Get, "/api/v1/sessions/shared-1")).Body!;
        Assert.Equal("acme secret title", (string?)acmeSession["title"]);
        Assert.Equal(1, (int)acmeSession["summary"]!["message_count"]!);

        // An admin: an id held by several tenants is a 409 naming them, found with ?tenant=T.
        var (ambiguous, problem) = await As(_admin, HttpMethod.Get, "/api/v1/sessions/shared-1");
        Assert.Equal(HttpStatusCode.Conflict, ambiguous);
        Assert.Contains("'acme'", (string?)problem!["detail"], StringComparison.Ordinal);
        Assert.Contains("'globex'", (string?)problem["detail"], StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, (await As(_admin, HttpMethod.Get, "/api/v1/messages/m-1")).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await As(_admin, HttpMethod.Post, "/api/v1/messages/m-1/status", """{"status": "read"}""")).Status);
        var (_, adminBatch) = await As(_admin, HttpMethod.Post, "/api/v1/status-reports", """{"reports": [{"provider_message_id": "SM-1", "status": "read"}]}""");
        Assert.Equal(409, (int)adminBatch!["results"]![0]!["error"]!["status"]!);
        Assert.Equal("acme secret title", (string?)(await As(_admin, HttpMethod.Get, "/api/v1/sessions/shared-1?tenant=acme")).Body!["title"]);
        Assert.Equal("globex words", (string?)(await As(_admin, HttpMethod.Get, "/api/v1/messages/m-1?tenant=globex")).Body!["content"]);
        Assert.Equal(2, (int)(await As(_admin, HttpMethod.Get, "/api/v1/sessions")).Body!["total"]!);
        Assert.Equal(1, (int)(await As(_admin, HttpMethod.Get, "/api/v1/sessions?tenant=globex")).Body!["total"]!);

        // A tenant key cannot borrow ?tenant= to look elsewhere; nothing the ambiguous admin calls tried changed anything.
        Assert.Equal("acme words", (string?)(await As(_acme, HttpMethod.Get, "/api/v1/messages/m-1?tenant=globex")).Body!["content"]);
        Assert.Equal("pending", (string?)(await As(_acme, HttpMethod.Get, "/api/v1/messages/m-1")).Body!["status"]);
        Assert.Equal(HttpStatusCode.NoContent, (await As(_admin, HttpMethod.Delete, "/api/v1/sessions/shared-1?tenant=globex")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await As(_globex, HttpMethod.Get, "/api/v1/sessions/shared-1")).Status);
        Assert.Equal("acme secret title", (string?)(await As(_admin, HttpMethod.Get, "/api/v1/sessions/shared-1")).Body!["title"]);
    }
}
