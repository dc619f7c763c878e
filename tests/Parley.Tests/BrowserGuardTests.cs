using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;

namespace Parley.Tests;

/// <summary>A web page cannot drive the keyless loopback server through a visitor's browser: bodies must be declared
/// JSON (UTF-8), host names other than loopback ones are refused (DNS rebinding), and requests that change state
/// refuse other origins (docs/security.md, HTTP).</summary>
public class BrowserGuardTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private ServerFixture _s = null!;

    public async Task InitializeAsync()
    {
        _s = await ServerFixture.StartAsync(TestDatabases.Sqlite, o => o with { Time = _clock });
        Assert.Equal(HttpStatusCode.Created, (await _s.PostJson("/api/v1/sessions", """{"id": "s"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await _s.PostJson("/api/v1/sessions/s/messages", """{"id": "m", "sender_type": "system", "content": "hi"}""")).StatusCode);
    }

    public async Task DisposeAsync() => await _s.DisposeAsync();

    private async Task<(HttpStatusCode Status, JsonNode? Body)> Send(HttpMethod method, string path, HttpContent? content = null, Action<HttpRequestHeaders>? headers = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        headers?.Invoke(request.Headers);
        using var response = await _s.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (text.Length > 0 && (int)response.StatusCode >= 400)
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    private static ByteArrayContent Body(string text, string? contentType)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
        if (contentType is not null) content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }

    [Fact]
    public async Task bodies_not_declared_as_utf8_json_are_refused_with_415_and_change_nothing()
    {
        var report = """{"reports": [{"message_id": "m", "status": "delivered"}]}""";
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await Send(HttpMethod.Post, "/api/v1/status-reports", Body(report, "text/plain"))).Status);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await Send(HttpMethod.Post, "/api/v1/status-reports", Body(report, "application/json; charset=iso-8859-1"))).Status);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await Send(HttpMethod.Post, "/api/v1/sessions/s/messages", Body("""{"sender_type": "user", "content": "x"}""", null))).Status);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await Send(HttpMethod.Post, "/api/v1/sessions/s/end", Body("a=b", "application/x-www-form-urlencoded"))).Status);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await Send(HttpMethod.Post, "/api/v1/sessions/s/end", Body("", "multipart/form-data; boundary=x"))).Status);
        var (_, message) = await Send(HttpMethod.Get, "/api/v1/messages/m");
        Assert.Equal("pending", (string?)message!["status"]);
        Assert.Equal(1, _s.Scalar("SELECT count(*) FROM parley_messages"));
        Assert.Equal("active", (string?)(await Send(HttpMethod.Get, "/api/v1/sessions/s")).Body!["status"]);

        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Post, "/api/v1/status-reports", Body(report, "Application/JSON; charset=\"UTF-8\""))).Status);
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Post, "/api/v1/sessions", Body("""{"id": "s"}""", "application/json"))).Status);
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Post, "/api/v1/sessions/s/end")).Status); // no body, no type
    }

    [Fact]
    public async Task a_keyless_server_answers_only_to_loopback_host_names()
    {
        foreach (var evil in new[] { "evil.example", "evil.example:80", "127.0.0.1.evil.example", "10.0.0.1" })
        {
            var (status, body) = await Send(HttpMethod.Get, "/api/v1/sessions", headers: h => h.Host = evil);
            Assert.Equal((HttpStatusCode)421, status);
            Assert.Equal(421, (int)body!["status"]!);
            Assert.Equal((HttpStatusCode)421, (await Send(HttpMethod.Get, "/metrics", headers: h => h.Host = evil)).Status);
        }
        foreach (var local in new[] { "localhost", "LOCALHOST:9", "127.0.0.2:5080", "[::1]:1" })
            Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Get, "/api/v1/sessions", headers: h => h.Host = local)).Status);

        // With keys on, the key is what protects the API, so any host name reaches it.
        await _s.Ledger.CreateApiKeyAsync(null, null, KeySecret.Load("sqlite:" + _s.DbPath));
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.Unauthorized, (await Send(HttpMethod.Get, "/api/v1/sessions", headers: h => h.Host = "parley.example")).Status);
    }

    [Fact]
    public async Task requests_that_change_state_refuse_other_origins_with_403()
    {
        var own = _s.Http.BaseAddress!.GetLeftPart(UriPartial.Authority);
        foreach (var foreign in new Action<HttpRequestHeaders>[]
                 {
                     h => h.Add("Origin", "http://evil.example"),
                     h => h.Add("Origin", "http://localhost:3000"),
                     h => h.Add("Origin", "null"),
                     h => h.Add("Sec-Fetch-Site", "cross-site"),
                     h => h.Add("Sec-Fetch-Site", "same-site"),
                 })
        {
            var (status, body) = await Send(HttpMethod.Post, "/api/v1/sessions", Body("""{"id": "x"}""", "application/json"), foreign);
            Assert.Equal(HttpStatusCode.Forbidden, status);
            Assert.Equal(403, (int)body!["status"]!);
            Assert.Equal(HttpStatusCode.Forbidden, (await Send(HttpMethod.Delete, "/api/v1/sessions/s", headers: foreign)).Status);
            Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Get, "/api/v1/sessions/s", headers: foreign)).Status); // reads are not state changes
        }
        Assert.Equal(0, _s.Scalar("SELECT count(*) FROM parley_sessions WHERE id = 'x'"));

        Assert.Equal(HttpStatusCode.Created, (await Send(HttpMethod.Post, "/api/v1/sessions", Body("""{"id": "x"}""", "application/json"), h => h.Add("Origin", own))).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await Send(HttpMethod.Delete, "/api/v1/sessions/x", headers: h => h.Add("Sec-Fetch-Site", "same-origin"))).Status);
    }
}
