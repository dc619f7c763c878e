using System.Text.Json.Nodes;
using Parley.Client;

namespace Parley.Tests;

/// <summary>Parley.Client against the real server (Kestrel, real HTTP) on every engine: each call answers what the
/// <see cref="Ledger"/>'s call of the same name answers (docs/client.md), and each error answer is its exception.</summary>
public class ClientTests
{
    private static readonly DateTimeOffset Started = new(2025, 11, 23, 10, 15, 30, 123, TimeSpan.Zero);

    private static DateTimeOffset NowToTheMillisecond() => DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

    [EngineTheory]
    [MemberData(nameof(TestDatabases.All), MemberType = typeof(TestDatabases))]
    public async Task every_call_answers_as_the_ledger_does(string engine)
    {
        // Through the contract proxy: what the client sends and what it is answered are both as the OpenAPI document says.
        await using var s = await ServerFixture.StartThroughContractAsync(engine);
        var parley = new ParleyClient(s.Http);

        // Sessions: 201, then 200 with the stored session unchanged.
        var created = await parley.CreateSessionAsync(new NewSession
        {
            Id = "order-1042", Kind = "live_agent", Title = "Order 1042", Metadata = new JsonObject { ["plan"] = "pro" }, StartedAt = Started,
        });
        Assert.True(created.Created);
        Assert.False(created.Spooled);
        Assert.Equal(("live_agent", SessionStatus.Active, Started), (created.Session.Kind, created.Session.Status, created.Session.StartedAt));
        Assert.Equal("pro", (string?)created.Session.Metadata!["plan"]);
        var again = await parley.CreateSessionAsync(new NewSession { Id = "order-1042", Title = "another title" });
        Assert.False(again.Created);
        Assert.Equal("Order 1042", again.Session.Title);
        await parley.CreateSessionAsync(new NewSession { Id = "chat-2", Kind = "ai_chat" });

        Assert.Null(await parley.GetSessionAsync("nope"));
        var live = await parley.ListSessionsAsync(new SessionQuery { Kind = "live_agent", Since = Started });
        Assert.Equal("order-1042", Assert.Single(live.Items).Id);
        var second = await parley.ListSessionsAsync(new SessionQuery { Page = 2, PerPage = 1 });
        Assert.Equal((2, 1, 2L, 2L), (second.PageNumber, second.PerPage, second.Total, second.TotalPages));
        Assert.Single(second.Items);

        // A patch changes what it sets, clears what it sets to null, and leaves the rest.
        var patched = await parley.UpdateSessionAsync("order-1042", new SessionPatch { Title = "Order 1042 (VIP)", Metadata = new Optional<JsonObject?>(null) });
        Assert.Equal("Order 1042 (VIP)", patched.Title);
        Assert.Null(patched.Metadata);
        var kept = await parley.UpdateSessionAsync("order-1042", new SessionPatch { Metadata = new JsonObject { ["vip"] = true } });
        Assert.Equal("Order 1042 (VIP)", kept.Title);
        Assert.True((bool)kept.Metadata!["vip"]!);

        // Messages: 201, then 200 for a repeat with the stored fields; a batch in order.
        var first = await parley.LogMessageAsync("order-1042", new NewMessage
        {
            Id = "m-1", Direction = Direction.Outbound, Channel = "sms", Recipient = "+15550100", Content = "Your order shipped", ProviderMessageId = "SM1",
        });
        Assert.True(first.Created);
        Assert.Equal((MessageStatus.Pending, SenderType.System, "sms"), (first.Message.Status, first.Message.SenderType, first.Message.Channel));
        var repeat = await parley.LogMessageAsync("order-1042", new NewMessage { Id = "m-1", SenderType = SenderType.Agent, Content = "different" });
        Assert.False(repeat.Created);
        Assert.Equal("Your order shipped", repeat.Message.Content);
        var batch = await parley.LogMessagesAsync("order-1042",
        [
            new NewMessage { SenderType = SenderType.User, Content = "Thanks!", IdempotencyKey = "k-1" },
            new NewMessage { SenderType = SenderType.Agent, Content = "You are welcome", Template = "reply", IdempotencyKey = "k-2" },
        ]);
        Assert.All(batch, b => Assert.True(b.Created));
        Assert.Equal(["Thanks!", "You are welcome"], batch.Select(b => b.Message.Content));
        var batchAgain = await parley.LogMessagesAsync("order-1042", [new NewMessage { SenderType = SenderType.User, Content = "again", IdempotencyKey = "k-1" }]);
        Assert.False(Assert.Single(batchAgain).Created);
        Assert.Equal(batch[0].Message.Id, batchAgain[0].Message.Id);

        // The transcript by cursor pages, both ways; the search.
        var page1 = await parley.GetTranscriptAsync("order-1042", new TranscriptQuery { Limit = 2 });
        Assert.Equal(["m-1", batch[0].Message.Id], page1.Items.Select(m => m.Id));
        var page2 = await parley.GetTranscriptAsync("order-1042", new TranscriptQuery { Limit = 2, Cursor = page1.NextCursor });
        Assert.Equal(batch[1].Message.Id, Assert.Single(page2.Items).Id);
        Assert.Null(page2.NextCursor);
        Assert.Equal(batch[1].Message.Id, (await parley.GetTranscriptAsync("order-1042", new TranscriptQuery { Descending = true })).Items[0].Id);
        var pendingSms = await parley.SearchMessagesAsync(new MessageQuery { Channel = "sms", Status = MessageStatus.Pending, Since = Started });
        Assert.Equal("m-1", Assert.Single(pendingSms.Items).Id);
        Assert.Equal("m-1", Assert.Single((await parley.SearchMessagesAsync(new MessageQuery { ProviderMessageId = "SM1" })).Items).Id);

        // Reports: applied, a duplicate, a cancel refused; a batch where each report succeeds or fails alone.
        var at = NowToTheMillisecond();
        var delivered = new StatusReport { Status = MessageStatus.Delivered, At = at, Detail = new JsonObject { ["provider"] = "twilio" } };
        var applied = await parley.ReportStatusAsync("m-1", delivered);
        Assert.Equal(ReportOutcome.Applied, applied.Outcome);
        Assert.Equal((MessageStatus.Delivered, at), (applied.Message!.Status, applied.Message.DeliveredAt));
        Assert.Equal(ReportOutcome.Duplicate, (await parley.ReportStatusAsync("m-1", delivered)).Outcome);
        var refused = await Assert.ThrowsAsync<ParleyConflictException>(() => parley.ReportStatusAsync("m-1", new StatusReport { Status = MessageStatus.Cancelled }));
        Assert.Contains("409", refused.Message, StringComparison.Ordinal);
        var results = await parley.ReportStatusesAsync(
        [
            new KeyedStatusReport { Report = new StatusReport { Status = MessageStatus.Read, ProviderMessageId = "SM1", Channel = "sms" } },
            new KeyedStatusReport { Report = new StatusReport { Status = MessageStatus.Delivered, ProviderMessageId = "SM-unknown" } },
            new KeyedStatusReport { MessageId = "nope", Report = new StatusReport { Status = MessageStatus.Delivered } },
            new KeyedStatusReport { MessageId = "m-1", Report = new StatusReport { Status = MessageStatus.Sent, ErrorCode = "30003" } },
        ]);
        Assert.Equal((ReportOutcome.Applied, "m-1", false), (results[0].Outcome, results[0].MessageId, results[0].Parked));
        Assert.Null(results[0].Error);
        Assert.True(results[1].Parked);
        Assert.Null(results[1].Outcome);
        Assert.Contains("'nope'", Assert.IsType<ParleyNotFoundException>(results[2].Error).Message, StringComparison.Ordinal);
        Assert.Contains("error_code", Assert.IsType<ParleyBadRequestException>(results[3].Error).Errors.Keys);

        var m1 = await parley.GetMessageAsync("m-1");
        Assert.Equal(MessageStatus.Read, m1!.Status);
        var reported = m1.Events!;
        Assert.Equal([MessageStatus.Delivered, MessageStatus.Read], reported.Select(e => e.Status));
        Assert.Equal("twilio", (string?)reported[0].Detail!["provider"]);
        Assert.Null(await parley.GetMessageAsync("nope"));

        // The agent's read marker passes the one user message.
        Assert.Equal(1, (await parley.GetSessionAsync("order-1042"))!.Summary.UnreadForAgent);
        Assert.Equal(1, await parley.MarkReadAsync("order-1042", new ReadMarker { Reader = Reader.Agent }));
        Assert.Equal(0, (await parley.GetSessionAsync("order-1042"))!.Summary.UnreadForAgent);

        // Errors name what was wrong.
        var missing = await Assert.ThrowsAsync<ParleyNotFoundException>(() => parley.LogMessageAsync("nope", new NewMessage { SenderType = SenderType.User, Content = "hi" }));
        Assert.Contains("session 'nope' does not exist", missing.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ParleyNotFoundException>(() => parley.GetTranscriptAsync("nope"));
        await Assert.ThrowsAsync<ParleyNotFoundException>(() => parley.UpdateSessionAsync("nope", new SessionPatch { Title = "x" }));
        var invalid = await Assert.ThrowsAsync<ParleyBadRequestException>(() =>
            parley.LogMessagesAsync("order-1042", [new NewMessage { SenderType = SenderType.User, Content = "ok" }, new NewMessage { SenderType = SenderType.User, Channel = "SMS!", Content = "hi" }]));
        Assert.Equal(400, invalid.StatusCode);
        Assert.Equal("messages[1].channel", Assert.Single(invalid.Errors).Key);
        Assert.Contains("messages[1].channel", invalid.Message, StringComparison.Ordinal);
        Assert.Equal(3, (await parley.GetSessionAsync("order-1042"))!.Summary.MessageCount); // all or nothing

        // End (twice keeps the first time), system events, readiness, delete.
        var ended = await parley.EndSessionAsync("order-1042");
        Assert.Equal(SessionStatus.Ended, ended.Status);
        Assert.Equal(ended.EndedAt, (await parley.EndSessionAsync("order-1042")).EndedAt);
        var events = await parley.GetSystemEventsAsync(SystemEventLevel.Info, 10);
        Assert.Contains(events, e => e.Event == "migration_applied");
        Assert.All(events, e => Assert.Equal(SystemEventLevel.Info, e.Level));
        var ready = await parley.GetReadinessAsync();
        Assert.Equal((true, "reachable", true, LedgerSchema.Head), (ready.IsReady, ready.Database, ready.SchemaVerified, ready.SchemaVersion));
        Assert.True(await parley.DeleteSessionAsync("order-1042"));
        Assert.False(await parley.DeleteSessionAsync("order-1042"));
        Assert.Null(await parley.GetSessionAsync("order-1042"));
    }

    [Fact]
    public async Task a_body_over_the_route_limit_is_a_problem_with_its_status()
    {
        await using var s = await ServerFixture.StartAsync();
        var parley = new ParleyClient(s.Http);
        await parley.CreateSessionAsync(new NewSession { Id = "s" });

        // PATCH takes 1 MiB (docs/http-api.md, "Routes").
        var tooLarge = await Assert.ThrowsAsync<ParleyProblemException>(() =>
            parley.UpdateSessionAsync("s", new SessionPatch { Title = new string('x', 1_100_000) }));
        Assert.Equal(413, tooLarge.StatusCode);
        Assert.Equal("https://parley.dev/problems/413", tooLarge.ProblemType);
        Assert.Contains("413", tooLarge.Message, StringComparison.Ordinal);
        Assert.Null((await parley.GetSessionAsync("s"))!.Title);
    }

    [Fact]
    public async Task a_call_the_server_holds_ends_when_its_token_is_cancelled()
    {
        using var log = new CapturedLog();
        // At Information the host logs "Request starting …" as a request arrives: the sign that the server holds it.
        await using var s = await ServerFixture.StartAsync(TestDatabases.Sqlite, o => o with { ExtraLogger = log, LogLevel = Microsoft.Extensions.Logging.LogLevel.Information });
        var parley = new ParleyClient(s.Http);
        await parley.CreateSessionAsync(new NewSession { Id = "held" });

        // Every read admission of the server's ledger is taken: a read it is sent waits there until it is cancelled.
        var holds = new List<IDisposable>();
        for (var i = 0; i < LedgerOptions.DefaultMaxConcurrentReads; i++) holds.Add(await s.Ledger.HoldReadAdmissionAsync());
        using var cancel = new CancellationTokenSource();
        var read = parley.GetSessionAsync("held", cancel.Token);
        await log.WhenLogged(m => m.Contains("Request starting", StringComparison.Ordinal) && m.Contains("GET", StringComparison.Ordinal)
                                  && m.Contains("/api/v1/sessions/held", StringComparison.Ordinal)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(read.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);

        foreach (var hold in holds) hold.Dispose();
        Assert.Equal("held", (await parley.GetSessionAsync("held"))!.Id);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => parley.ListSessionsAsync(cancellationToken: new CancellationToken(canceled: true)));
    }

    [Fact]
    public async Task the_event_stream_carries_what_commits_after_it_opened_until_cancelled()
    {
        await using var s = await ServerFixture.StartAsync();
        var parley = new ParleyClient(s.Http);
        await using var stream = await parley.SubscribeAsync();
        using var cancel = new CancellationTokenSource();
        await using var events = stream.ReadAllAsync(cancel.Token).GetAsyncEnumerator();

        await parley.CreateSessionAsync(new NewSession { Id = "s" });
        var logged = (await parley.LogMessageAsync("s", new NewMessage { SenderType = SenderType.Agent, Content = "hello" })).Message;
        await parley.ReportStatusAsync(logged.Id, new StatusReport { Status = MessageStatus.Delivered });
        var seen = new List<ParleyEvent>();
        for (var i = 0; i < 3; i++)
        {
            Assert.True(await events.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
            seen.Add(events.Current);
        }
        Assert.Equal(["session.created", "message.logged", "message.status"], seen.Select(e => e.Type));
        Assert.Equal("s", seen[0].Data.GetProperty("id").GetString());
        Assert.Equal(logged.Id, seen[1].Data.GetProperty("id").GetString());
        Assert.Equal("applied", seen[2].Data.GetProperty("outcome").GetString());
        Assert.Equal("delivered", seen[2].Data.GetProperty("message").GetProperty("status").GetString());

        // Nothing else has committed: the next read waits, and its token ends the wait.
        var next = events.MoveNextAsync().AsTask();
        Assert.False(next.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => next);
    }
}
