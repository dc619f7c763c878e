using System.Net;

namespace Parley.Tests;

/// <summary><c>/metrics</c> labels come from bounded sets whatever clients send: unknown methods are
/// <c>other</c>, routes are the matched endpoint's pattern or <c>unmatched</c> (docs/security.md, HTTP).</summary>
public class MetricsLabelTests : IAsyncLifetime
{
    private ServerFixture _s = null!;

    public async Task InitializeAsync() => _s = await ServerFixture.StartAsync();

    public async Task DisposeAsync() => await _s.DisposeAsync();

    [Fact]
    public async Task unique_methods_and_paths_add_no_label_values()
    {
        for (var i = 0; i < 200; i++)
        {
            using var odd = await _s.Http.SendAsync(new HttpRequestMessage(new HttpMethod($"M{i}{new string('X', 1000)}"), $"/api/v1/sessions/s-{i}"));
            using var lost = await _s.Http.GetAsync($"/no/such/path/{i}");
            Assert.Equal(HttpStatusCode.NotFound, lost.StatusCode);
        }
        using var known = await _s.Http.GetAsync("/api/v1/sessions/s-1");

        var metrics = await _s.Http.GetStringAsync("/metrics");
        var lines = metrics.Split('\n').Where(l => l.StartsWith("parley_http_requests_total{", StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(lines, l => l.Contains("XXXX", StringComparison.Ordinal) || l.Contains("s-1", StringComparison.Ordinal) || l.Contains("/no/such", StringComparison.Ordinal));
        Assert.Equal(200, lines.Where(l => l.StartsWith("parley_http_requests_total{method=\"other\",", StringComparison.Ordinal)).Sum(l => long.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Contains("parley_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 200", metrics, StringComparison.Ordinal);
        Assert.Contains("parley_http_requests_total{method=\"GET\",route=\"/api/v1/sessions/{id}\",status=\"404\"} 1", metrics, StringComparison.Ordinal);
        Assert.True(lines.Count < 10, string.Join('\n', lines));
    }
}
