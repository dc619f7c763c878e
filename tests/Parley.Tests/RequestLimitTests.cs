using System.Net;

namespace Parley.Tests;

/// <summary>A too-long URL and too-large or too-many headers are answered as problem+json by Parley (414, 431) over
/// real HTTP; only a request over twice those limits gets Kestrel's own empty answer (docs/security.md, "HTTP").</summary>
public sealed class RequestLimitTests : IAsyncLifetime
{
    private ServerFixture _s = null!;

    public async Task InitializeAsync() => _s = await ServerFixture.StartAsync();

    public async Task DisposeAsync() => await _s.DisposeAsync();

    private async Task<(HttpStatusCode Status, string? Type, string Body)> Get(string path, int headers = 0, int headerBytes = 0)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        for (var i = 0; i < headers; i++) request.Headers.Add($"X-H{i}", "v");
        if (headerBytes > 0) request.Headers.Add("X-Big", new string('b', headerBytes));
        using var response = await _s.Http.SendAsync(request);
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task over_the_limits_the_answer_is_a_problem_naming_the_limit()
    {
        var longUrl = await Get("/api/v1/sessions?q=" + new string('a', 9_000));
        Assert.Equal(HttpStatusCode.RequestUriTooLong, longUrl.Status);
        Assert.Equal("application/problem+json", longUrl.Type);
        Assert.Contains("at most 8,192 are taken", longUrl.Body, StringComparison.Ordinal);

        var bigHeader = await Get("/api/v1/sessions", headerBytes: 40_000);
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, bigHeader.Status);
        Assert.Equal("application/problem+json", bigHeader.Type);
        Assert.Contains("at most 32,768 are taken", bigHeader.Body, StringComparison.Ordinal);

        var manyHeaders = await Get("/api/v1/sessions", headers: 150);
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, manyHeaders.Status);
        Assert.Equal("application/problem+json", manyHeaders.Type);
        Assert.Contains("at most 100 are taken", manyHeaders.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task within_the_limits_requests_are_served_and_beyond_twice_kestrel_answers_alone()
    {
        Assert.Equal(HttpStatusCode.OK, (await Get("/api/v1/sessions?padding=" + new string('a', 7_000), headers: 80, headerBytes: 20_000)).Status);
        var huge = await Get("/api/v1/sessions", headerBytes: 70_000);
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, huge.Status);
        Assert.Empty(huge.Body);
    }
}
