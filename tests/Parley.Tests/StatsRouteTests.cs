using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace Parley.Tests;

/// <summary>The analytics routes from the outside, through the contract proxy (docs/analytics.md; docs/http-api.md,
/// "Analytics"): SPEC's shapes with the figures a recount gives, each tenant key confined to its own figures on every
/// route, an admin key seeing all or one <c>?tenant=</c>, and every bad parameter a 400 problem+json naming it.</summary>
public class StatsRouteTests : IAsyncLifetime
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
        // acme: three sms messages today (one delivered after 2 s, one failed), globex: one email.
        var now = DateTimeOffset.UtcNow;
        var acme = _s.Ledger.ForTenant("acme");
        var a = (await acme.CreateSessionAsync(new NewSession { Id = "a" })).Session.Id;
        var ids = new List<string>();
        foreach (var template in (string?[])["otp", "otp", null])
            ids.Add((await acme.LogMessageAsync(a, new NewMessage { SenderType = SenderType.System, Channel = "sms", Template = template, Content = "x", Status = MessageStatus.Sent, CreatedAt = now.AddMinutes(-5) })).Message.Id);
        await acme.ReportStatusAsync(ids[0], new StatusReport { Status = MessageStatus.Delivered, At = now.AddMinutes(-5).AddSeconds(2) });
        await acme.ReportStatusAsync(ids[1], new StatusReport { Status = MessageStatus.Failed, ErrorCode = "30003", At = now.AddMinutes(-4) });
        var globex = _s.Ledger.ForTenant("globex");
        var g = (await globex.CreateSessionAsync(new NewSession { Id = "g" })).Session.Id;
        await globex.LogMessageAsync(g, new NewMessage { SenderType = SenderType.System, Channel = "email", Content = "y", CreatedAt = now.AddMinutes(-3) });
    }

    public async Task DisposeAsync() => await _s.DisposeAsync();

    private async Task<(HttpStatusCode Status, JsonNode? Body, string? Type)> As(string key, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await _s.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text), response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task the_stats_routes_answer_spec_shapes_with_the_recounted_figures()
    {
        var (status, stats, _) = await As(_acme, "/api/v1/stats?days=7&tz=Asia/Kathmandu");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Asia/Kathmandu", (string?)stats!["tz"]);
        Assert.Equal(0.01, (double)stats["relative_error"]!);
        var overall = stats["overall"]!;
        Assert.Equal(3, (int)overall["messages"]!);
        Assert.Equal(1, (int)overall["status_counts"]!["delivered"]!);
        Assert.Equal(1, (int)overall["status_counts"]!["failed"]!);
        Assert.Equal(1, (int)overall["status_counts"]!["sent"]!);
        Assert.Equal(1 / 3.0, (double)overall["delivery_rate"]!, 9);
        Assert.Equal(0.0, (double)overall["read_rate"]!);
        var s2d = overall["latency_ms"]!["sent_to_delivered"]!;
        Assert.Equal(1, (int)s2d["count"]!);
        Assert.InRange((double)s2d["p50"]!, 2000 * 0.99, 2000 * 1.01);
        Assert.Equal(0, (int)overall["latency_ms"]!["delivered_to_read"]!["count"]!);
        Assert.Equal(["sms"], stats["by_channel"]!.AsArray().Select(c => (string?)c!["channel"]));
        Assert.Equal(["otp", null], stats["by_template"]!.AsArray().Select(t => (string?)t!["template"]));
        Assert.Equal(2, (int)stats["by_template"]![0]!["messages"]!);

        var (_, daily, _) = await As(_acme, "/api/v1/stats/daily?days=3");
        var days = daily!["days"]!.AsArray();
        Assert.Equal(3, days.Count);
        Assert.Equal(DateOnly.FromDateTime(DateTime.UtcNow).ToString("yyyy-MM-dd"), (string?)days[2]!["date"]);
        Assert.Equal([0, 0, 3], days.Select(d => (int)d!["messages"]!));

        var (_, errors, _) = await As(_acme, "/api/v1/stats/errors?days=1");
        var item = Assert.Single(errors!["items"]!.AsArray())!;
        Assert.Equal("30003", (string?)item["error_code"]);
        Assert.Equal(1, (int)item["count"]!);

        var (_, filtered, _) = await As(_acme, "/api/v1/stats?days=1&template=otp");
        Assert.Equal(2, (int)filtered!["overall"]!["messages"]!);
        Assert.Equal(["otp"], filtered["by_template"]!.AsArray().Select(t => (string?)t!["template"]));
    }

    [Fact]
    public async Task each_tenant_key_sees_its_own_figures_on_every_stats_route()
    {
        foreach (var route in (string[])["/api/v1/stats?days=2", "/api/v1/stats/daily?days=2", "/api/v1/stats/errors?days=2"])
        {
            // A tenant key's ?tenant= names no other tenant: it is confined to its own.
            var (_, g, _) = await As(_globex, route + "&tenant=acme");
            var (_, a, _) = await As(_acme, route);
            var (_, all, _) = await As(_admin, route);
            var (_, one, _) = await As(_admin, route + "&tenant=acme");
            if (route.Contains("errors", StringComparison.Ordinal))
            {
                Assert.Empty(g!["items"]!.AsArray());
                Assert.Single(a!["items"]!.AsArray());
                Assert.Equal(a.ToJsonString(), one!.ToJsonString());
                continue;
            }
            int Messages(JsonNode n) => n["overall"] is { } o ? (int)o["messages"]! : n["days"]!.AsArray().Sum(d => (int)d!["messages"]!);
            Assert.Equal(1, Messages(g!));
            Assert.Equal(3, Messages(a!));
            Assert.Equal(4, Messages(all!));
            Assert.Equal(3, Messages(one!));
        }
        var (_, globexStats, _) = await As(_globex, "/api/v1/stats?days=2");
        Assert.Equal(["email"], globexStats!["by_channel"]!.AsArray().Select(c => (string?)c!["channel"]));
    }

    [Fact]
    public async Task metrics_export_the_latency_histograms_by_channel_in_prometheus_form()
    {
        var text = await _s.Http.GetStringAsync("/metrics");
        var lines = text.Split('\n');
        Assert.Contains("# TYPE parley_delivery_latency_seconds histogram", lines);
        // acme's one delivery took 2 s: under every bound from 2.5 s, over 1 s.
        const string labels = "kind=\"sent_to_delivered\",channel=\"sms\"";
        Assert.Contains($"parley_delivery_latency_seconds_bucket{{{labels},le=\"1\"}} 0", lines);
        Assert.Contains($"parley_delivery_latency_seconds_bucket{{{labels},le=\"2.5\"}} 1", lines);
        Assert.Contains($"parley_delivery_latency_seconds_bucket{{{labels},le=\"+Inf\"}} 1", lines);
        Assert.Contains($"parley_delivery_latency_seconds_count{{{labels}}} 1", lines);
        var sum = double.Parse(lines.Single(l => l.StartsWith($"parley_delivery_latency_seconds_sum{{{labels}}}", StringComparison.Ordinal)).Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(sum, 2 * 0.99, 2 * 1.01);
        Assert.DoesNotContain(lines, l => l.Contains("channel=\"email\"", StringComparison.Ordinal) && l.Contains("sent_to_delivered", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/api/v1/stats?days=0", "days")]
    [InlineData("/api/v1/stats?days=401", "days")]
    [InlineData("/api/v1/stats?days=many", "days")]
    [InlineData("/api/v1/stats?tz=Mars/Olympus_Mons", "tz")]
    [InlineData("/api/v1/stats?since=yesterday", "since")]
    [InlineData("/api/v1/stats?since=2026-11-02T00:00:00Z&until=2026-11-01T00:00:00Z", "until")]
    [InlineData("/api/v1/stats?since=2020-01-01T00:00:00Z&until=2026-01-01T00:00:00Z", "until")]
    [InlineData("/api/v1/stats?until=2026-11-01T00:00:00Z", "since")]
    [InlineData("/api/v1/stats?days=3&since=2026-11-01T00:00:00Z", "days")]
    [InlineData("/api/v1/stats?channel=SMS!", "channel")]
    [InlineData("/api/v1/stats/daily?days=-1", "days")]
    [InlineData("/api/v1/stats/daily?since=2026-11-01T00:00:00Z", "since")]
    [InlineData("/api/v1/stats/daily?tz=Nowhere", "tz")]
    [InlineData("/api/v1/stats/errors?days=500", "days")]
    [InlineData("/api/v1/stats/errors?tz=+05:45", "tz")]
    public async Task a_bad_parameter_is_a_400_problem_naming_it(string path, string field)
    {
        var (status, body, type) = await As(_admin, path);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("application/problem+json", type);
        Assert.True(body!["errors"]?[field] is JsonArray, body.ToJsonString());
    }
}
