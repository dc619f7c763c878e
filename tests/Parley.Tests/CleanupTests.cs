namespace Parley.Tests;

/// <summary><c>parley cleanup --older-than</c> and <c>parley maintain</c> as real processes on every engine: old
/// messages and their events go in batches, the sessions' summaries follow (the data check stays clean), recent
/// messages stay, a dry run changes nothing, and a malformed age is a usage error.</summary>
public class CleanupTests
{
    [EngineTheory]
    [MemberData(nameof(TestDatabases.All), MemberType = typeof(TestDatabases))]
    public async Task old_messages_go_in_batches_and_the_summaries_follow(string engine)
    {
        using var db = new EngineDatabase(engine);
        var old = DateTimeOffset.UtcNow.AddDays(-100);
        await using (var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = db.Url }))
        {
            foreach (var s in (string[])["a", "b"]) await ledger.CreateSessionAsync(new NewSession { Id = s });
            for (var batch = 0; batch < 3; batch++)
            {
                await ledger.LogMessagesAsync(batch % 2 == 0 ? "a" : "b", [.. Enumerable.Range(0, 850).Select(i => new NewMessage
                {
                    SenderType = i % 2 == 0 ? SenderType.User : SenderType.Agent, Channel = i % 3 == 0 ? "sms" : "whatsapp",
                    Template = i % 5 == 0 ? "otp" : null, Content = $"old {batch}/{i}", CreatedAt = old.AddMinutes(batch * 1000 + i),
                })]);
            }
            var recent = await ledger.LogMessagesAsync("a", [.. Enumerable.Range(0, 40).Select(i => new NewMessage { SenderType = SenderType.User, Content = $"new {i}" })]);
            await ledger.ReportStatusAsync(recent[0].Message.Id, new StatusReport { Status = MessageStatus.Read });
            await ledger.MarkReadAsync("b", new ReadMarker { Reader = Reader.Agent });
        }

        var bad = await ChildProcess.ParleyAsync("cleanup", "--older-than", "90x", "--db", db.Url);
        Assert.Equal(2, bad.Exit);
        Assert.Contains("--older-than takes a positive age such as 90d", bad.Err);

        var dry = await ChildProcess.ParleyAsync("cleanup", "--older-than", "90d", "--dry-run", "--db", db.Url);
        Assert.True(dry.Exit == 0, dry.Err);
        Assert.Contains("2,550 messages created before", dry.Out);
        Assert.Equal(2590, db.Scalar("SELECT count(*) FROM parley_messages"));

        var run = await ChildProcess.ParleyAsync("cleanup", "--older-than", "90d", "--db", db.Url);
        Assert.True(run.Exit == 0, run.Err);
        Assert.Contains("deleted 2,550 messages", run.Out);
        Assert.Equal(40, db.Scalar("SELECT count(*) FROM parley_messages"));
        Assert.Equal(0, db.Scalar("SELECT count(*) FROM parley_message_events e WHERE NOT EXISTS (SELECT 1 FROM parley_messages m WHERE m.id = e.message_id)"));
        var url = Internal.Kernel.DatabaseUrl.Parse(db.Url);
        Assert.Empty(Internal.Check.DataCheck.Run(url, repair: false));

        await using var after = await Ledger.OpenAsync(new LedgerOptions { Database = db.Url });
        var a = (await after.GetSessionAsync("a"))!.Summary;
        Assert.Equal(40, a.MessageCount);
        Assert.Equal(0, (await after.GetSessionAsync("b"))!.Summary.MessageCount);
        Assert.Contains(await after.GetSystemEventsAsync(), e => e.Event == "cleanup" && (long)e.Detail!["deleted"]! == 2550);

        var maintain = await ChildProcess.ParleyAsync("maintain", "--db", db.Url);
        Assert.True(maintain.Exit == 0, maintain.Err);
        Assert.StartsWith("maintained", maintain.Out);
    }

    /// <summary><c>parley serve --maintain-every 2s --retention 30d</c>: the server cleans up and refreshes statistics
    /// by itself, recording both system events; recent messages stay.</summary>
    [Fact]
    public async Task the_server_runs_retention_and_maintenance_on_its_schedule()
    {
        using var db = new EngineDatabase(TestDatabases.Sqlite);
        await using (var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = db.Url }))
        {
            await ledger.CreateSessionAsync(new NewSession { Id = "s" });
            await ledger.LogMessagesAsync("s", [.. Enumerable.Range(0, 300).Select(i => new NewMessage
            {
                SenderType = SenderType.Agent, Content = $"old {i}", CreatedAt = DateTimeOffset.UtcNow.AddDays(-40).AddMinutes(i),
            })]);
            await ledger.LogMessagesAsync("s", [.. Enumerable.Range(0, 7).Select(i => new NewMessage { SenderType = SenderType.Agent, Content = $"new {i}" })]);
        }
        var port = ChildProcess.FreePort();
        using var server = ChildProcess.Start(ChildProcess.Cli, "serve", "--db", db.Url, "--urls", $"http://127.0.0.1:{port}",
            "--maintain-every", "2s", "--retention", "30d");
        try
        {
            using var http = await ChildProcess.WaitUntilReadyAsync(server, port);
            var events = "";
            for (var i = 0; i < 100 && !(events.Contains("\"cleanup\"", StringComparison.Ordinal) && events.Contains("\"maintenance\"", StringComparison.Ordinal)); i++)
            {
                await Task.Delay(200);
                events = await http.GetStringAsync("/api/v1/system/events");
            }
            Assert.Contains("\"cleanup\"", events, StringComparison.Ordinal);
            Assert.Contains("\"maintenance\"", events, StringComparison.Ordinal);
            Assert.Contains("\"deleted\":300", events, StringComparison.Ordinal);
            Assert.Equal(7, db.Scalar("SELECT count(*) FROM parley_messages"));
            var session = System.Text.Json.Nodes.JsonNode.Parse(await http.GetStringAsync("/api/v1/sessions/s"))!;
            Assert.Equal(7, session["summary"]!["message_count"]!.GetValue<int>());
        }
        finally
        {
            server.Kill();
            await server.WaitForExitAsync();
        }
    }
}
