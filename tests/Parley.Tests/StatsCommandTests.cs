using System.Text.Json.Nodes;

namespace Parley.Tests;

/// <summary><c>parley stats</c> as a real process (docs/cli.md, "stats"): a table of the figures, the route's JSON with
/// <c>--json</c>, and bad parameters a one-line message with exit 2.</summary>
public class StatsCommandTests
{
    [EngineTheory]
    [MemberData(nameof(TestDatabases.All), MemberType = typeof(TestDatabases))]
    public async Task stats_prints_the_figures_as_a_table_and_as_the_routes_json(string engine)
    {
        using var db = new EngineDatabase(engine);
        await using (var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = db.Url }))
        {
            var session = (await ledger.CreateSessionAsync(new NewSession { Id = "bulk" })).Session.Id;
            var logged = await ledger.LogMessagesAsync(session, [.. Enumerable.Range(0, 10).Select(i => new NewMessage
            {
                SenderType = SenderType.System, Channel = i < 6 ? "sms" : "email", Template = i % 2 == 0 ? "welcome" : null, Content = "x", Status = MessageStatus.Sent,
            })]);
            foreach (var m in logged.Take(4))
                await ledger.ReportStatusAsync(m.Message.Id, new StatusReport { Status = MessageStatus.Delivered, At = m.Message.CreatedAt.AddSeconds(3) });
            await ledger.ReportStatusAsync(logged[9].Message.Id, new StatusReport { Status = MessageStatus.Failed, ErrorCode = "30003" });
        }

        var table = await ChildProcess.ParleyAsync("stats", "--db", db.Url, "--days", "2", "--tz", "Asia/Kathmandu");
        Assert.True(table.Exit == 0, table.Out + table.Err);
        Assert.Contains("(Asia/Kathmandu)", table.Out);
        var all = table.Out.Split('\n').Single(l => l.Contains("all", StringComparison.Ordinal));
        Assert.Contains(" 10 ", all);
        Assert.Contains("40.0 %", all); // 4 delivered of 10 with an outcome
        Assert.Contains("3.0 s", all);
        Assert.Contains(table.Out.Split('\n'), l => l.Contains("channel sms", StringComparison.Ordinal) && l.Contains(" 6 ", StringComparison.Ordinal));
        Assert.Contains(table.Out.Split('\n'), l => l.Contains("template welcome", StringComparison.Ordinal) && l.Contains(" 5 ", StringComparison.Ordinal));

        var json = await ChildProcess.ParleyAsync("stats", "--db", db.Url, "--days", "2", "--channel", "sms", "--json");
        Assert.True(json.Exit == 0, json.Out + json.Err);
        var body = JsonNode.Parse(json.Out)!;
        Assert.Equal("UTC", (string?)body["tz"]);
        Assert.Equal(6, (int)body["overall"]!["messages"]!);
        Assert.Equal(4, (int)body["overall"]!["status_counts"]!["delivered"]!);
        Assert.Equal(4, (int)body["overall"]!["latency_ms"]!["sent_to_delivered"]!["count"]!);
        Assert.Equal(["sms"], body["by_channel"]!.AsArray().Select(c => (string?)c!["channel"]));
    }

    [Theory]
    [InlineData("--days", "0", "days must be 1 to 400")]
    [InlineData("--tz", "Mars/Olympus_Mons", "not a time zone")]
    [InlineData("--channel", "Not A Slug", "channel")]
    public async Task a_bad_parameter_is_one_line_and_exit_2(string option, string value, string says)
    {
        using var db = new EngineDatabase(TestDatabases.Sqlite);
        await db.SeedAsync(3);
        var run = await ChildProcess.ParleyAsync("stats", "--db", db.Url, option, value);
        Assert.True(run.Exit == 2, run.Out + run.Err);
        Assert.Contains(says, run.Err);
        Assert.Single(run.Err.Trim().Split('\n'));
    }
}
