using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Parley.Tests;

/// <summary>Two <c>parley serve</c> processes on one PostgreSQL database, both applying status reports for the same
/// messages at once: the writers lock the rows they change, so docs/lifecycle.md rule 1 (no backward status) and rule 7
/// (convergence) hold across processes. The result is compared with the same reports applied one by one.</summary>
[Trait("Engine", "postgres")]
public class TwoServersTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);
    private static readonly MessageStatus[] Statuses = [MessageStatus.Sending, MessageStatus.Sent, MessageStatus.Delivered, MessageStatus.Read, MessageStatus.Failed];

    private static StatusReport RandomReport(Random random, int i) => Statuses[random.Next(Statuses.Length)] is var s && s == MessageStatus.Failed
        ? new StatusReport { Status = s, At = T0.AddSeconds(random.Next(600)).AddMilliseconds(i), ErrorCode = $"E{random.Next(3)}", ErrorMessage = "provider said no" }
        : new StatusReport { Status = Statuses[random.Next(Statuses.Length)], At = T0.AddSeconds(random.Next(600)).AddMilliseconds(i) };

    private static JsonObject Wire(string providerId, StatusReport r)
    {
        var item = new JsonObject
        {
            ["provider_message_id"] = providerId, ["channel"] = "sms", ["status"] = WireName(r.Status),
            ["at"] = r.At!.Value.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
        };
        if (r.ErrorCode is not null) item["error_code"] = r.ErrorCode;
        if (r.ErrorMessage is not null) item["error_message"] = r.ErrorMessage;
        return item;
    }

    private static string WireName(MessageStatus s) => s.ToString().ToLowerInvariant();

    private static string Fingerprint(Message m) =>
        $"{m.Status}|{m.SentAt:O}|{m.DeliveredAt:O}|{m.ReadAt:O}|{m.FailedAt:O}|{m.ErrorCode}|{m.ErrorMessage}";

    [Fact]
    public async Task status_reports_for_the_same_messages_through_two_servers_converge_and_never_go_backward()
    {
        using var db = new EngineDatabase(TestDatabases.Postgres);
        const int messages = 40, reportsEach = 8;
        var random = new Random(20261123);
        var reports = new List<(string Provider, StatusReport Report)>();
        await using (var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = db.Url }))
        {
            await ledger.CreateSessionAsync(new NewSession { Id = "s" });
            await ledger.LogMessagesAsync("s", [.. Enumerable.Range(0, messages).Select(i => new NewMessage
            {
                Id = $"m{i}", SenderType = SenderType.System, Channel = "sms", Content = $"code {i}", ProviderMessageId = $"p{i}",
            })]);
        }
        for (var i = 0; i < messages; i++)
            for (var k = 0; k < reportsEach; k++) reports.Add(($"p{i}", RandomReport(random, k)));
        var shuffled = reports.OrderBy(_ => random.Next()).ToList();

        var ports = new[] { ChildProcess.FreePort(), ChildProcess.FreePort() };
        // Each process owns its spool; two on one file are refused.
        var spools = Directory.CreateTempSubdirectory("parley-spools-");
        var servers = ports.Select(p => ChildProcess.Start(ChildProcess.Cli, "serve", "--db", db.Url, "--urls", $"http://127.0.0.1:{p}",
            "--spool", Path.Combine(spools.FullName, $"{p}.spool"))).ToArray();
        try
        {
            var clients = await Task.WhenAll(servers.Select((s, i) => ChildProcess.WaitUntilReadyAsync(s, ports[i])));
            // Eight callers, each alternating between the two servers, one or two reports per request.
            var queue = new System.Collections.Concurrent.ConcurrentQueue<(string Provider, StatusReport Report)>(shuffled);
            var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
            await Task.WhenAll(Enumerable.Range(0, 8).Select(c => Task.Run(async () =>
            {
                for (var n = 0; queue.TryDequeue(out var first); n++)
                {
                    var items = new JsonArray(Wire(first.Provider, first.Report));
                    if (n % 2 == 0 && queue.TryDequeue(out var second)) items.Add(Wire(second.Provider, second.Report));
                    var body = new JsonObject { ["reports"] = items }.ToJsonString();
                    using var response = await clients[(c + n) % 2].PostAsync("/api/v1/status-reports", new StringContent(body, Encoding.UTF8, "application/json"));
                    var text = await response.Content.ReadAsStringAsync();
                    if (response.StatusCode != HttpStatusCode.OK || text.Contains("\"error\":{", StringComparison.Ordinal)) failures.Add($"{(int)response.StatusCode} {text}");
                }
            })));
            Assert.True(failures.IsEmpty, string.Join("\n", failures));
            foreach (var c in clients) c.Dispose();
        }
        finally
        {
            foreach (var s in servers)
            {
                s.Kill();
                await s.WaitForExitAsync();
                s.Dispose();
            }
        }

        // The same reports, one at a time in their original order, on a fresh SQLite ledger.
        await using var reference = await TempLedger.OpenAsync();
        await reference.Ledger.CreateSessionAsync(new NewSession { Id = "s" });
        await reference.Ledger.LogMessagesAsync("s", [.. Enumerable.Range(0, messages).Select(i => new NewMessage
        {
            Id = $"m{i}", SenderType = SenderType.System, Channel = "sms", Content = $"code {i}", ProviderMessageId = $"p{i}",
        })]);
        foreach (var (provider, report) in reports)
            await reference.Ledger.ReportStatusesAsync([new KeyedStatusReport { Report = report with { ProviderMessageId = provider, Channel = "sms" } }]);

        await using var check = await Ledger.OpenAsync(new LedgerOptions { Database = db.Url });
        for (var i = 0; i < messages; i++)
        {
            var got = (await check.GetMessageAsync($"m{i}"))!;
            var want = (await reference.Ledger.GetMessageAsync($"m{i}"))!;
            Assert.Equal(Fingerprint(want), Fingerprint(got));
            Assert.Equal(reportsEach, got.Events!.Count);
        }
        Assert.Equal(messages * reportsEach, db.Scalar("SELECT count(*) FROM parley_message_events"));
        // Replaying each message's events in the order they were recorded gives what is stored: the two writers
        // took turns on each message.
        var url = Internal.Kernel.DatabaseUrl.Parse(db.Url);
        Assert.Empty(Internal.Check.DataCheck.Run(url, repair: false));
    }
}
