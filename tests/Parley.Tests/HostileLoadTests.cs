using System.Net;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Parley.Tests;

/// <summary>20,000 unauthenticated hostile requests against a real <c>parley serve</c> with keys on — unique methods,
/// long bogus Bearer tokens, unknown paths — leave <c>/metrics</c> small and the server's working set bounded
/// (docs/security.md, HTTP).</summary>
public class HostileLoadTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Requests = 20_000;

    [Fact]
    public async Task hostile_requests_leave_metrics_small_and_memory_bounded()
    {
        var dir = Directory.CreateTempSubdirectory("parley-hostile-").FullName;
        var db = "sqlite:" + Path.Combine(dir, "parley.db");
        var port = ChildProcess.FreePort();
        var created = await ChildProcess.ParleyAsync("keys", "create", "--admin", "--db", db);
        Assert.Equal(0, created.Exit);
        using var server = ChildProcess.Start(ChildProcess.Cli, "serve", "--db", db, "--urls", $"http://127.0.0.1:{port}");
        try
        {
            using var http = await ChildProcess.WaitUntilReadyAsync(server, port);
            _ = server.StandardOutput.ReadToEndAsync();
            _ = server.StandardError.ReadToEndAsync();
            await Hit(http, 0, 500); // warm up: JIT, pools, the first GCs
            server.Refresh();
            var before = server.WorkingSet64;

            await Hit(http, 500, Requests);

            server.Refresh();
            var grown = (server.WorkingSet64 - before) / (1024 * 1024);
            var metrics = await http.GetStringAsync("/metrics");
            output.WriteLine($"working set {before / (1024 * 1024)} MB -> +{grown} MB; /metrics {metrics.Length} bytes");
            Assert.True(metrics.Length < 64 * 1024, $"/metrics is {metrics.Length} bytes");
            Assert.True(grown < 150, $"the server's working set grew by {grown} MB");
            Assert.False(server.HasExited);
        }
        finally
        {
            server.Kill();
            await server.WaitForExitAsync();
            SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task Hit(HttpClient http, int from, int to)
    {
        var method = new string('M', 4000);
        var token = "pk_" + new string('0', 12) + "_" + new string('A', 30_000);
        var next = from - 1;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (int i; (i = Interlocked.Increment(ref next)) < to;)
            {
                using var request = (i % 3) switch
                {
                    0 => new HttpRequestMessage(new HttpMethod($"{method}{i}"), "/api/v1/sessions"),
                    1 => new HttpRequestMessage(HttpMethod.Get, "/api/v1/sessions"),
                    _ => new HttpRequestMessage(HttpMethod.Get, $"/no/such/{i}/{new string('p', 1000)}"),
                };
                if (i % 3 == 1) request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {token}{i}");
                using var response = await http.SendAsync(request);
                Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed,
                    $"{request.Method.Method[..Math.Min(8, request.Method.Method.Length)]} {request.RequestUri} answered {(int)response.StatusCode}: {Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync())}");
            }
        })));
    }
}
