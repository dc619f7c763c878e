using System.Diagnostics;
using System.Net;
using System.Text;

namespace Parley.Tests;

/// <summary>`parley serve` as a real process: the README's first command, and a graceful SIGTERM.</summary>
public class ServeProcessTests : IDisposable
{
    private readonly SchemaFixture _db = new();

    public void Dispose() => _db.Dispose();

    private static void Terminate(Process p) => Process.Start("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();

    [Fact]
    public async Task sigterm_drains_the_writer_and_every_acknowledged_write_is_on_disk()
    {
        var port = ChildProcess.FreePort();
        using var server = ChildProcess.Start(ChildProcess.Cli, "serve", "--db", _db.Url, "--urls", $"http://127.0.0.1:{port}");
        using var http = await ChildProcess.WaitUntilReadyAsync(server, port);
        var created = await http.PostAsync("/api/v1/sessions", new StringContent("{\"id\": \"s\"}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<string>();
        var writing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var key = $"w{w}-{i}";
                try
                {
                    var r = await http.PostAsync("/api/v1/sessions/s/messages",
                        new StringContent($"{{\"sender_type\": \"user\", \"content\": \"{key}\", \"idempotency_key\": \"{key}\"}}", Encoding.UTF8, "application/json"));
                    if (!r.IsSuccessStatusCode) continue;
                    acknowledged.Add(key);
                    if (acknowledged.Count >= 200) writing.TrySetResult();
                }
                catch (HttpRequestException)
                {
                    return; // the server has gone
                }
            }
        })).ToList();
        // SIGTERM in the middle of steady writing: once 200 writes have been answered, while the 16 writers keep going.
        await writing.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Terminate(server);
        await server.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        Assert.Equal(0, server.ExitCode);
        Assert.True(acknowledged.Count > 50, $"only {acknowledged.Count} writes before SIGTERM");
        var stored = _db.Dump("parley_messages", ["idempotency_key"]).Select(k => k.Trim('\'')).ToHashSet();
        Assert.All(acknowledged, key => Assert.Contains(key, stored));
        Assert.Empty(_db.Runner().Verify());
    }

    [Fact]
    public async Task serve_refuses_a_non_loopback_address_without_keys_unless_insecure()
    {
        var (exit, _, stderr) = await ChildProcess.ParleyAsync("serve", "--db", _db.Url, "--urls", "http://0.0.0.0:0");
        Assert.Equal(2, exit);
        Assert.Contains("--insecure", stderr);
    }

    [Fact]
    public async Task serve_takes_the_spec_schema_modes_and_verify_refuses_an_unmigrated_database()
    {
        var (exit, _, stderr) = await ChildProcess.ParleyAsync("serve", "--db", _db.Url, "--schema", "bogus");
        Assert.Equal(2, exit);
        Assert.Contains("'migrate'", stderr);
        (exit, _, stderr) = await ChildProcess.ParleyAsync("serve", "--db", _db.Url, "--schema", "verify", "--urls", "http://127.0.0.1:0");
        Assert.Equal(1, exit);
        Assert.Contains("run `parley db migrate`", stderr);
    }
}
