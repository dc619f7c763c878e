using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Parley.Tests;

/// <summary>Real outages under <c>parley serve</c>: the database server is stopped in the middle of steady ingest
/// and started again, and a SQLite file is held locked by another connection. Every message answered 2xx (201
/// stored, 202 spooled) is stored exactly once afterwards, the spool drains, the data check is clean, and
/// <c>/health/ready</c> showed the outage.</summary>
public class ServerOutageTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task a_locked_sqlite_database_spools_writes_and_the_api_says_so()
    {
        var dir = Directory.CreateTempSubdirectory("parley-outage-").FullName;
        var path = Path.Combine(dir, "parley.db");
        var port = ChildProcess.FreePort();
        using var server = ChildProcess.Start(ChildProcess.Cli, "serve", "--db", "sqlite:" + path, "--urls", $"http://127.0.0.1:{port}");
        try
        {
            using var http = await ChildProcess.WaitUntilReadyAsync(server, port);
            Assert.Equal(HttpStatusCode.Created, (await http.PostAsync("/api/v1/sessions", Json("{\"id\": \"s\"}"))).StatusCode);
            using (TestDatabases.LockSqlite(path))
            {
                using var spooled = await http.PostAsync("/api/v1/sessions/s/messages", Json("{\"id\": \"m1\", \"sender_type\": \"agent\", \"content\": \"while locked\"}"));
                Assert.Equal(HttpStatusCode.Accepted, spooled.StatusCode);
                var body = JsonNode.Parse(await spooled.Content.ReadAsStringAsync())!;
                Assert.True(body["spooled"]!.GetValue<bool>());
                Assert.Equal("m1", body["id"]!.GetValue<string>());

                using var report = await http.PostAsync("/api/v1/messages/m1/status", Json("{\"status\": \"delivered\"}"));
                Assert.Equal(HttpStatusCode.Accepted, report.StatusCode);
                Assert.Equal("spooled", JsonNode.Parse(await report.Content.ReadAsStringAsync())!["outcome"]!.GetValue<string>());

                using var read = await http.GetAsync("/api/v1/messages/m1");
                Assert.Equal(HttpStatusCode.ServiceUnavailable, read.StatusCode);
                Assert.Equal("application/problem+json", read.Content.Headers.ContentType?.MediaType);
                Assert.NotNull(read.Headers.RetryAfter);

                using var ready = await http.GetAsync("/health/ready");
                Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
                Assert.Equal(3, JsonNode.Parse(await ready.Content.ReadAsStringAsync())!["spool"]!["pending"]!.GetValue<int>()); // spool_used, the message, the report
                Assert.Contains("parley_spool_pending 3", await http.GetStringAsync("/metrics"), StringComparison.Ordinal);
            }
            await WaitForReadyAsync(http, TimeSpan.FromSeconds(30));
            var message = JsonNode.Parse(await http.GetStringAsync("/api/v1/messages/m1"))!;
            Assert.Equal("delivered", message["status"]!.GetValue<string>());
            Assert.Contains("parley_spool_pending 0", await http.GetStringAsync("/metrics"), StringComparison.Ordinal);
        }
        finally
        {
            server.Kill();
            await server.WaitForExitAsync();
            SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>With tenant keys, during an outage a tenant's writes to a session it used before are still spooled
    /// (its key and the session's tenant were checked before); another tenant's session is still not found, and a
    /// session never checked is answered 503, never written: isolation holds while the database cannot be read.</summary>
    [Fact]
    public async Task tenant_keys_keep_working_and_isolated_while_writes_spool()
    {
        var dir = Directory.CreateTempSubdirectory("parley-outage-").FullName;
        var path = Path.Combine(dir, "parley.db");
        var url = "sqlite:" + path;
        await using (var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = url, Spool = false }))
            await ledger.CreateSessionAsync(new NewSession { Id = "theirs", Tenant = "other" });
        var (exit, stdout, stderr) = await ChildProcess.ParleyAsync("keys", "create", "--tenant", "acme", "--db", url, "--json");
        Assert.True(exit == 0, stderr);
        var key = JsonNode.Parse(stdout)!["key"]!.GetValue<string>();
        var port = ChildProcess.FreePort();
        using var server = ChildProcess.Start(ChildProcess.Cli, "serve", "--db", url, "--urls", $"http://127.0.0.1:{port}");
        try
        {
            using var http = await ChildProcess.WaitUntilReadyAsync(server, port);
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
            Assert.Equal(HttpStatusCode.Created, (await http.PostAsync("/api/v1/sessions", Json("{\"id\": \"mine\"}"))).StatusCode);
            Assert.Equal(HttpStatusCode.Created, (await http.PostAsync("/api/v1/sessions/mine/messages", Json("{\"id\": \"a0\", \"sender_type\": \"agent\", \"content\": \"before\"}"))).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsync("/api/v1/sessions/theirs/messages", Json("{\"sender_type\": \"agent\", \"content\": \"x\"}"))).StatusCode);
            using (TestDatabases.LockSqlite(path))
            {
                for (var i = 1; i <= 3; i++)
                {
                    using var spooled = await http.PostAsync("/api/v1/sessions/mine/messages", Json($"{{\"id\": \"a{i}\", \"sender_type\": \"agent\", \"content\": \"during\"}}"));
                    Assert.Equal(HttpStatusCode.Accepted, spooled.StatusCode);
                }
                // Spooled writes stay in the caller's tenant: one naming another tenant's session id is a write to
                // acme's own namespace, where no such session exists, so its replay is refused (kept in .rejected)
                // and nothing reaches the other tenant's session.
                using var theirs = await http.PostAsync("/api/v1/sessions/theirs/messages", Json("{\"id\": \"x1\", \"sender_type\": \"agent\", \"content\": \"intrusion\"}"));
                Assert.Equal(HttpStatusCode.Accepted, theirs.StatusCode);
                using var anonymous = new HttpClient { BaseAddress = http.BaseAddress };
                Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/api/v1/sessions/mine/messages", Json("{\"sender_type\": \"agent\", \"content\": \"x\"}"))).StatusCode);
            }
            await WaitForReadyAsync(http, TimeSpan.FromSeconds(30));
        }
        finally
        {
            server.Kill();
            await server.WaitForExitAsync();
        }
        using (var conn = TestDatabases.Open(url))
        using (var cmd = conn.CreateCommand())
        {
            cmd.CommandText = "SELECT session_id || ':' || id FROM parley_messages ORDER BY session_seq";
            var rows = new List<string>();
            using (var r = cmd.ExecuteReader()) while (r.Read()) rows.Add(r.GetString(0));
            Assert.Equal(["mine:a0", "mine:a1", "mine:a2", "mine:a3"], rows);
        }
        var rejected = await File.ReadAllTextAsync(path + ".spool.rejected");
        Assert.Contains("\"id\":\"x1\"", rejected, StringComparison.Ordinal);
        Assert.Contains("\"scope\":\"acme\"", rejected, StringComparison.Ordinal);
        SqliteConnection.ClearAllPools();
        Directory.Delete(dir, recursive: true);
    }

    private static async Task WaitForReadyAsync(HttpClient http, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            try
            {
                using var ready = await http.GetAsync("/health/ready");
                if (ready.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(200);
        }
        throw new TimeoutException("the server did not become ready again");
    }

    [EngineTheory]
    [MemberData(nameof(TestDatabases.Servers), MemberType = typeof(TestDatabases))]
    public async Task steady_ingest_survives_the_database_server_stopped_for_20_seconds(string engine)
    {
        using var database = await PrivateDatabaseServer.StartAsync(engine);
        var spool = Path.Combine(Directory.CreateTempSubdirectory("parley-outage-").FullName, "parley.spool");
        var port = ChildProcess.FreePort();
        using var server = ChildProcess.Start(ChildProcess.Cli, "serve", "--db", database.Url, "--urls", $"http://127.0.0.1:{port}", "--spool", spool);
        var acknowledged = new ConcurrentDictionary<string, HttpStatusCode>();
        var answers = new ConcurrentDictionary<HttpStatusCode, int>();
        var health = new ConcurrentQueue<(string Phase, HttpStatusCode Status)>();
        var phase = "before";
        var lastSpooled = DateTime.MinValue;
        var back = DateTime.MinValue;
        // Ingest is steady once 200 writes are stored, and has recovered once 200 more are stored after the outage
        // (a write goes straight to the database again only once the spool is empty).
        int storedBefore = 0, storedAfter = 0;
        var steady = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var recovered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        try
        {
            using var http = await ChildProcess.WaitUntilReadyAsync(server, port);
            Assert.Equal(HttpStatusCode.Created, (await http.PostAsync("/api/v1/sessions", Json("{\"id\": \"s\"}"))).StatusCode);
            var clients = Enumerable.Range(0, 8).Select(c => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var id = $"c{c}-{i}";
                    using var response = await http.PostAsync("/api/v1/sessions/s/messages", Json($"{{\"id\": \"{id}\", \"sender_type\": \"agent\", \"content\": \"steady {id}\"}}"));
                    answers.AddOrUpdate(response.StatusCode, 1, (_, n) => n + 1);
                    if (response.IsSuccessStatusCode) acknowledged[id] = response.StatusCode;
                    if (response.StatusCode == HttpStatusCode.Accepted) lastSpooled = DateTime.UtcNow;
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        if (phase == "before" && Interlocked.Increment(ref storedBefore) >= 200) steady.TrySetResult();
                        if (phase == "after" && Interlocked.Increment(ref storedAfter) >= 200) recovered.TrySetResult();
                    }
                    await Task.Delay(10);
                }
            })).ToArray();
            var prober = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    using var ready = await http.GetAsync("/health/ready");
                    health.Enqueue((phase, ready.StatusCode));
                    await Task.Delay(500);
                }
            });

            await steady.Task.WaitAsync(TimeSpan.FromSeconds(60));
            phase = "outage";
            await database.StopAsync();
            // The fault itself: the database server stays down for 20 s (docs/reliability.md), whatever the clients see.
            await Task.Delay(TimeSpan.FromSeconds(20));
            await database.StartAsync();
            back = DateTime.UtcNow;
            phase = "after";
            // The clients keep writing through the replay, until writes are stored directly again.
            await recovered.Task.WaitAsync(TimeSpan.FromSeconds(60));
            await stop.CancelAsync();
            await Task.WhenAll([.. clients, prober]);
            var drainStarted = DateTime.UtcNow;
            await WaitForReadyAsync(http, TimeSpan.FromSeconds(60));
            output.WriteLine($"{engine}: {acknowledged.Count} acknowledged, {acknowledged.Count(a => a.Value == HttpStatusCode.Accepted)} of them spooled; " +
                             $"answers {string.Join(", ", answers.Select(a => $"{(int)a.Key}×{a.Value}"))}; ready again {(DateTime.UtcNow - drainStarted).TotalSeconds:F1} s after the clients stopped; " +
                             $"the last write was spooled {(lastSpooled - back).TotalSeconds:F1} s after the database was back; " +
                             $"health during the outage: {string.Join(",", health.Where(h => h.Phase == "outage").Select(h => (int)h.Status).Distinct())}");

            var spooled = acknowledged.Count(a => a.Value == HttpStatusCode.Accepted);
            Assert.True(spooled > 50, $"only {spooled} writes were spooled during a 20 s outage");
            Assert.Contains(health, h => h.Phase == "outage" && h.Status == HttpStatusCode.ServiceUnavailable);
            Assert.DoesNotContain(answers.Keys, s => (int)s >= 500 && s != HttpStatusCode.ServiceUnavailable);
            Assert.Contains("parley_spool_pending 0", await http.GetStringAsync("/metrics"), StringComparison.Ordinal);
        }
        finally
        {
            await stop.CancelAsync();
            server.Kill();
            await server.WaitForExitAsync();
        }

        using var conn = TestDatabases.Open(database.Url);
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT id FROM parley_messages";
        var stored = new List<string>();
        using (var r = cmd.ExecuteReader()) while (r.Read()) stored.Add(r.GetString(0));
        Assert.Equal(stored.Count, stored.Distinct(StringComparer.Ordinal).Count());
        Assert.Empty(acknowledged.Keys.Except(stored, StringComparer.Ordinal));
        var url = Internal.Kernel.DatabaseUrl.Parse(database.Url);
        Assert.Empty(Internal.Check.DataCheck.Run(url, repair: false));
        var events = string.Join(",", Scan(conn, "SELECT event FROM parley_system_events"));
        Assert.Contains("spool_used", events, StringComparison.Ordinal);
        Assert.Contains("spool_replayed", events, StringComparison.Ordinal);
    }

    private static List<string> Scan(System.Data.Common.DbConnection conn, string sql)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        var rows = new List<string>();
        using var r = cmd.ExecuteReader();
        while (r.Read()) rows.Add(r.GetString(0));
        return rows;
    }
}
