using System.Net;
using System.Text;

namespace Parley.Tests;

/// <summary>SIGKILL of <c>parley serve</c> under HTTP load: 16 clients post messages with their own ids; the server
/// is killed at a random moment and started again, three times per engine. Every message answered 2xx is stored,
/// exactly once, and the data check is clean.</summary>
public class ServerCrashTests
{
    [EngineTheory]
    [MemberData(nameof(TestDatabases.All), MemberType = typeof(TestDatabases))]
    public async Task every_message_answered_2xx_survives_a_sigkill_of_the_server(string engine)
    {
        using var db = new EngineDatabase(engine);
        var random = new Random(engine.Length * 31);
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<string>();
        for (var k = 0; k < 3 * TestDatabases.Soak; k++)
        {
            var port = ChildProcess.FreePort();
            using var server = ChildProcess.Start(ChildProcess.Cli, "serve", "--db", db.Url, "--urls", $"http://127.0.0.1:{port}");
            using var stop = new CancellationTokenSource();
            Task[] clients = [];
            HttpClient? http = null;
            try
            {
                http = await ChildProcess.WaitUntilReadyAsync(server, port);
                if (k == 0)
                    Assert.Equal(HttpStatusCode.Created, (await http.PostAsync("/api/v1/sessions", new StringContent("{\"id\": \"s\"}", Encoding.UTF8, "application/json"))).StatusCode);
                clients = [.. Enumerable.Range(0, 16).Select(c => Task.Run(async () =>
                {
                    for (var i = 0; !stop.IsCancellationRequested; i++)
                    {
                        var id = $"k{k}-c{c}-{i}";
                        try
                        {
                            using var response = await http!.PostAsync("/api/v1/sessions/s/messages",
                                new StringContent($"{{\"id\": \"{id}\", \"sender_type\": \"agent\", \"content\": \"crash {id}\"}}", Encoding.UTF8, "application/json"));
                            if (response.IsSuccessStatusCode) acknowledged.Add(id);
                        }
                        catch (HttpRequestException)
                        {
                            return; // the server is gone
                        }
                        catch (TaskCanceledException)
                        {
                            return;
                        }
                    }
                }))];
                await Task.Delay(random.Next(500, 2000));
            }
            finally
            {
                server.Kill();
                await server.WaitForExitAsync();
                await stop.CancelAsync();
                await Task.WhenAll(clients);
                http?.Dispose();
            }

            using var conn = TestDatabases.Open(db.Url);
            using var cmd = conn.CreateCommand();
            cmd.CommandText = "SELECT id FROM parley_messages";
            var stored = new HashSet<string>(StringComparer.Ordinal);
            using (var r = cmd.ExecuteReader()) while (r.Read()) stored.Add(r.GetString(0));
            Assert.NotEmpty(acknowledged);
            Assert.Empty(acknowledged.Except(stored));
            var url = Internal.Kernel.DatabaseUrl.Parse(db.Url);
            Assert.Empty(Internal.Check.DataCheck.Run(url, repair: false));
        }
    }
}
