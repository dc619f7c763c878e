using System.Net;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.AspNetCore;

namespace Parley.Tests;

/// <summary>Parley inside someone else's ASP.NET Core app (docs/hosting.md): <c>AddParley</c> + <c>MapParley(prefix)</c>
/// on Kestrel, real HTTP; the host's own routes stay the host's, and the host's authentication may stand in for API keys.</summary>
public class HostingTests
{
    [Fact]
    public async Task the_api_serves_under_a_prefix_with_options_from_configuration_and_the_ledger_opens_with_the_host()
    {
        var dir = Directory.CreateTempSubdirectory("parley-hosted-").FullName;
        var db = Path.Combine(dir, "app.db");
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Parley:Database"] = "sqlite:" + db, ["Parley:MaintainEvery"] = "01:00:00" });
        builder.Services.AddParley();
        builder.Services.AddOpenApi();
        await using var app = builder.Build();
        app.MapGet("/hello", () => "the host's own route");
        app.MapParley("/parley");
        app.MapOpenApi("/host/openapi.json");
        app.MapHealthChecks("/healthz");
        Assert.False(File.Exists(db));
        await app.StartAsync();
        try
        {
            Assert.True(File.Exists(db), "the ledger opened (and migrated) when the host started");
            using var http = Client(app);

            var created = await http.PostAsync("/parley/api/v1/sessions", Json("""{"id":"chat-1","kind":"ai_chat"}"""));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var logged = await http.PostAsync("/parley/api/v1/sessions/chat-1/messages", Json("""{"sender_type":"user","content":"hello"}"""));
            Assert.Equal(HttpStatusCode.Created, logged.StatusCode);
            var transcript = JsonNode.Parse(await http.GetStringAsync("/parley/api/v1/sessions/chat-1/messages"))!;
            Assert.Equal("hello", transcript["items"]![0]!["content"]!.GetValue<string>());
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/parley/health/ready")).StatusCode);
            Assert.Contains("Healthy", await http.GetStringAsync("/healthz"));

            // Parley's rules hold under the prefix (a form post is refused, as problem+json) and only there.
            var form = await http.PostAsync("/parley/api/v1/sessions", new StringContent("id=x", Encoding.UTF8, "application/x-www-form-urlencoded"));
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, form.StatusCode);
            Assert.Equal("application/problem+json", form.Content.Headers.ContentType?.MediaType);
            Assert.Equal("the host's own route", await http.GetStringAsync("/hello"));
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/v1/sessions")).StatusCode);

            // Parley's own document, for the prefix; the host's generated one leaves Parley's routes to it.
            var document = JsonNode.Parse(await http.GetStringAsync("/parley/openapi/v1.json"))!;
            Assert.Equal("/parley", (string?)document["servers"]![0]!["url"]);
            Assert.NotNull(document["paths"]!["/api/v1/sessions"]!["post"]);
            var hosts = JsonNode.Parse(await http.GetStringAsync("/host/openapi.json"))!["paths"]!.AsObject();
            Assert.Equal(["/hello"], hosts.Select(p => p.Key));

            // The ledger in the container is the one the routes wrote through.
            var ledger = app.Services.GetRequiredService<Ledger>();
            Assert.Equal(1, (await ledger.GetSessionAsync("chat-1"))!.Summary.MessageCount);
            Assert.Equal(TimeSpan.FromHours(1), app.Services.GetRequiredService<IOptions<ParleyOptions>>().Value.MaintainEvery);
        }
        finally
        {
            await app.StopAsync();
        }
        // Closed with the host: the WAL is checkpointed away and another ledger opens the file at once.
        Assert.False(File.Exists(db + "-wal"));
        await using var again = await Ledger.OpenAsync(new LedgerOptions { Database = "sqlite:" + db, Spool = false });
        Assert.Equal(1, (await again.GetSessionAsync("chat-1"))!.Summary.MessageCount);
    }

    [Fact]
    public async Task the_hosts_authorization_policy_stands_in_for_api_keys_and_its_tenant_claim_confines_the_caller()
    {
        var dir = Directory.CreateTempSubdirectory("parley-hosted-").FullName;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddAuthentication("test").AddScheme<AuthenticationSchemeOptions, HeaderAuthentication>("test", null);
        builder.Services.AddAuthorizationBuilder().AddPolicy("support-staff", p => p.RequireAuthenticatedUser());
        builder.Services.AddParley(o =>
        {
            o.Database = "sqlite:" + Path.Combine(dir, "app.db");
            o.AuthorizationPolicy = "support-staff";
        });
        await using var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapParley("/ledger");
        await app.StartAsync();
        try
        {
            using var http = Client(app);
            Assert.Equal(HttpStatusCode.Unauthorized, (await Send(http, HttpMethod.Get, "/ledger/api/v1/sessions", null)).StatusCode);

            var acme = await Send(http, HttpMethod.Post, "/ledger/api/v1/sessions", "acme", """{"id":"c1"}""");
            Assert.Equal(HttpStatusCode.Created, acme.StatusCode);
            Assert.Equal("acme", JsonNode.Parse(await acme.Content.ReadAsStringAsync())!["tenant"]!.GetValue<string>());
            // Another tenant's caller does not know the session; the same id is its own.
            Assert.Equal(HttpStatusCode.NotFound, (await Send(http, HttpMethod.Get, "/ledger/api/v1/sessions/c1", "zed")).StatusCode);
            Assert.Equal(HttpStatusCode.Created, (await Send(http, HttpMethod.Post, "/ledger/api/v1/sessions", "zed", """{"id":"c1"}""")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await Send(http, HttpMethod.Get, "/ledger/api/v1/system/events", "acme")).StatusCode);

            // A caller without the claim sees every tenant and the system routes.
            Assert.Equal(HttpStatusCode.OK, (await Send(http, HttpMethod.Get, "/ledger/api/v1/system/events", "")).StatusCode);
            var all = JsonNode.Parse(await (await Send(http, HttpMethod.Get, "/ledger/api/v1/sessions", "")).Content.ReadAsStringAsync())!;
            Assert.Equal(2, all["total"]!.GetValue<long>());
            // Parley's own keys are not consulted: a Bearer token means nothing here.
            using var bearer = new HttpRequestMessage(HttpMethod.Get, "/ledger/api/v1/sessions");
            bearer.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "pk_000000000000_" + new string('a', 43));
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(bearer)).StatusCode);
        }
        finally
        {
            await app.StopAsync();
        }
    }

    [Fact]
    public async Task each_http_write_is_an_activity_and_metrics_come_from_the_parley_instruments()
    {
        var activities = new System.Collections.Concurrent.ConcurrentQueue<System.Diagnostics.Activity>();
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name == "Parley",
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activities.Enqueue,
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        await using var server = await ServerFixture.StartAsync();
        var (writesBefore, committedBefore) = (WritesTotal(await server.Http.GetStringAsync("/metrics")), server.Ledger.WriterStatistics.CallsCommitted);
        Assert.Equal(HttpStatusCode.Created, (await server.PostJson("/api/v1/sessions", """{"id":"a"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await server.PostJson("/api/v1/sessions/a/messages", """{"messages":[{"sender_type":"user","content":"1"},{"sender_type":"agent","content":"2"}]}""")).StatusCode);
        var logged = JsonNode.Parse(await server.Http.GetStringAsync("/api/v1/sessions/a/messages"))!["items"]![0]!["id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await server.PostJson($"/api/v1/messages/{logged}/status", """{"status":"delivered","at":"2026-12-01T10:00:00Z"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.PostJson($"/api/v1/messages/{logged}/status", """{"status":"delivered","at":"2026-12-01T10:00:00Z"}""")).StatusCode);

        var writes = activities.Where(a => a.OperationName == "parley.http.write").ToList();
        Assert.Contains(writes, a => (string?)a.GetTagItem("http.route") == "/api/v1/sessions/{id}/messages" && (int?)a.GetTagItem("http.response.status_code") == 201);
        Assert.Equal(2, writes.Count(a => (string?)a.GetTagItem("http.route") == "/api/v1/messages/{id}/status"));
        Assert.DoesNotContain(writes, a => (string?)a.GetTagItem("http.request.method") == "GET");
        Assert.Contains(activities, a => a.OperationName == "parley.commit");

        // /metrics counts what the instruments measured: the writer's own count of committed calls (4 of them ours, and
        // whatever the ledger ran by itself meanwhile), a delivered report applied and then a duplicate.
        var metrics = await server.Http.GetStringAsync("/metrics");
        var committed = server.Ledger.WriterStatistics.CallsCommitted - committedBefore;
        Assert.True(committed >= 4, $"{committed} calls committed");
        Assert.Equal(committed, WritesTotal(metrics) - writesBefore);
        Assert.Contains("parley_reports_total{outcome=\"applied\"} 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("parley_reports_total{outcome=\"duplicate\"} 1\n", metrics, StringComparison.Ordinal);
    }

    private static long WritesTotal(string metrics) =>
        long.Parse(metrics.Split('\n').Single(l => l.StartsWith("parley_writes_total ", StringComparison.Ordinal))["parley_writes_total ".Length..], System.Globalization.CultureInfo.InvariantCulture);

    private static HttpClient Client(WebApplication app) => new()
    {
        BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()),
        Timeout = TimeSpan.FromSeconds(30),
    };

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>Signed in as staff when <c>X-Staff</c> is present; its value, when not empty, is the staff member's tenant.</summary>
    private static Task<HttpResponseMessage> Send(HttpClient http, HttpMethod method, string path, string? staffTenant, string? json = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (staffTenant is not null) request.Headers.Add("X-Staff", staffTenant);
        if (json is not null) request.Content = Json(json);
        return http.SendAsync(request);
    }

    private sealed class HeaderAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            if (!Request.Headers.TryGetValue("X-Staff", out var tenant)) return Task.FromResult(AuthenticateResult.NoResult());
            var claims = new List<Claim> { new(ClaimTypes.Name, "staff") };
            if (tenant.ToString() is { Length: > 0 } t) claims.Add(new Claim("parley_tenant", t));
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, "test")), "test")));
        }
    }
}
