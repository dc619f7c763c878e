using System.Text.Json.Nodes;

namespace Parley.Tests;

public abstract class MessageTests(string engine) : IAsyncLifetime
{
    private TempLedger _t = null!;
    private string _s = null!;

    public async Task InitializeAsync()
    {
        _t = await TempLedger.OpenAsync(engine);
        _s = await _t.NewSessionAsync("chat-1");
    }

    public async Task DisposeAsync() => await _t.DisposeAsync();
    private Ledger L => _t.Ledger;

    private static NewMessage Agent(string content) => new() { SenderType = SenderType.Agent, Channel = "web", Content = content };

    [Fact]
    public async Task every_field_is_stored_and_read_back_as_given()
    {
        var created = new DateTimeOffset(2026, 11, 20, 8, 30, 15, 123, TimeSpan.FromHours(2)).AddTicks(4567);
        var m = (await L.LogMessageAsync(_s, new NewMessage
        {
            Id = "client:msg-1", IdempotencyKey = "k-1", Direction = Direction.Outbound, SenderType = SenderType.Ai,
            SenderId = "bot-7", SenderName = "Assistant ✨", Channel = "whatsapp", Recipient = "+15551234567",
            Template = "order_update", Subject = "Your order", Content = "Grüße, 世界 👋", ProviderMessageId = "wamid.X",
            Metadata = new JsonObject { ["order"] = 42, ["tags"] = new JsonArray("a", "b") }, CreatedAt = created,
        })).Message;
        var read = (await L.GetMessageAsync(m.Id))!;
        Assert.Equal("client:msg-1", read.Id);
        Assert.Equal(_s, read.SessionId);
        Assert.Equal("k-1", read.IdempotencyKey);
        Assert.Equal(Direction.Outbound, read.Direction);
        Assert.Equal(SenderType.Ai, read.SenderType);
        Assert.Equal("bot-7", read.SenderId);
        Assert.Equal("Assistant ✨", read.SenderName);
        Assert.Equal("whatsapp", read.Channel);
        Assert.Equal("+15551234567", read.Recipient);
        Assert.Equal("order_update", read.Template);
        Assert.Equal("Your order", read.Subject);
        Assert.Equal("Grüße, 世界 👋", read.Content);
        Assert.Equal("wamid.X", read.ProviderMessageId);
        Assert.Equal(42, (int)read.Metadata!["order"]!);
        // Times are kept in UTC to the millisecond.
        Assert.Equal(new DateTimeOffset(2026, 11, 20, 6, 30, 15, 123, TimeSpan.Zero), read.CreatedAt);
        Assert.Equal(MessageStatus.Pending, read.Status);
        Assert.Empty(read.Events!);
        Assert.Equal(m with { Events = read.Events, Metadata = read.Metadata }, read with { });
    }

    [Fact]
    public async Task direction_and_sender_default_from_each_other_and_inbound_starts_delivered()
    {
        var inbound = (await L.LogMessageAsync(_s, new NewMessage { SenderType = SenderType.User, Content = "hi" })).Message;
        Assert.Equal(Direction.Inbound, inbound.Direction);
        Assert.Equal(MessageStatus.Delivered, inbound.Status);
        Assert.Equal(inbound.CreatedAt, inbound.DeliveredAt);
        Assert.Equal("web", inbound.Channel);
        var outbound = (await L.LogMessageAsync(_s, new NewMessage { Direction = Direction.Outbound, Content = "promo" })).Message;
        Assert.Equal(SenderType.System, outbound.SenderType);
        Assert.Equal(MessageStatus.Pending, outbound.Status);
        var withEvent = (await L.GetMessageAsync(inbound.Id))!;
        Assert.Equal(MessageStatus.Delivered, Assert.Single(withEvent.Events!).Status);
    }

    [Fact]
    public async Task empty_content_is_stored_as_empty_text_not_null()
    {
        var m = await L.LogMessageAsync(_s, new NewMessage { SenderType = SenderType.System, Template = "welcome", Content = "" });
        Assert.Equal("", (await L.GetMessageAsync(m.Message.Id))!.Content);
        Assert.Equal(1, _t.Scalar("SELECT count(*) FROM parley_messages WHERE content = ''"));
    }

    [Fact]
    public async Task a_message_logged_as_failed_keeps_its_error()
    {
        var m = (await L.LogMessageAsync(_s, new NewMessage { SenderType = SenderType.System, Content = "x", Status = MessageStatus.Failed, ErrorCode = "550", ErrorMessage = "mailbox unavailable" })).Message;
        Assert.Equal(MessageStatus.Failed, m.Status);
        Assert.Equal("550", m.ErrorCode);
        Assert.Null(m.SentAt);
    }

    [Fact]
    public async Task logging_the_same_idempotency_key_again_returns_the_stored_message_unchanged()
    {
        var first = await L.LogMessageAsync(_s, Agent("one") with { IdempotencyKey = "retry-1" });
        var again = await L.LogMessageAsync(_s, Agent("two") with { IdempotencyKey = "retry-1" });
        Assert.True(first.Created);
        Assert.False(again.Created);
        Assert.Equal(first.Message.Id, again.Message.Id);
        Assert.Equal("one", again.Message.Content);
        Assert.Equal(1, _t.Scalar("SELECT count(*) FROM parley_messages"));
        // The key is unique per session, not globally.
        var other = await _t.NewSessionAsync("chat-2");
        Assert.True((await L.LogMessageAsync(other, Agent("three") with { IdempotencyKey = "retry-1" })).Created);
    }

    [Fact]
    public async Task logging_the_same_client_id_again_returns_the_stored_message_and_another_session_is_refused()
    {
        await L.LogMessageAsync(_s, Agent("one") with { Id = "m-1" });
        var again = await L.LogMessageAsync(_s, Agent("changed") with { Id = "m-1" });
        Assert.False(again.Created);
        Assert.Equal("one", again.Message.Content);
        var other = await _t.NewSessionAsync("chat-2");
        await Assert.ThrowsAsync<ParleyConflictException>(() => L.LogMessageAsync(other, Agent("x") with { Id = "m-1" }));
    }

    [Fact]
    public async Task a_batch_is_logged_in_order_and_repeats_inside_it_are_idempotent()
    {
        var batch = Enumerable.Range(0, 10).Select(i => Agent($"m{i}") with { IdempotencyKey = $"k{i % 8}" }).ToList();
        var logged = await L.LogMessagesAsync(_s, batch);
        Assert.Equal(10, logged.Count);
        Assert.Equal(8, logged.Count(m => m.Created));
        Assert.Equal(logged[0].Message.Id, logged[8].Message.Id);
        Assert.Equal("m0", logged[8].Message.Content);
        var transcript = await L.GetTranscriptAsync(_s, new TranscriptQuery { Limit = 200 });
        Assert.Equal(Enumerable.Range(0, 8).Select(i => $"m{i}"), transcript.Items.Select(m => m.Content));
        Assert.Equal(8, (await L.GetSessionAsync(_s))!.Summary.MessageCount);
    }

    [Fact]
    public async Task a_batch_with_one_bad_message_writes_nothing_and_names_the_item()
    {
        var batch = Enumerable.Range(0, 5).Select(i => Agent($"m{i}")).ToList();
        batch[3] = batch[3] with { Channel = "Not A Slug" };
        var e = await Assert.ThrowsAsync<ArgumentException>(() => L.LogMessagesAsync(_s, batch));
        Assert.Equal("messages[3].channel", e.ParamName);
        Assert.Equal(0, _t.Scalar("SELECT count(*) FROM parley_messages"));

        // A conflict found in the database also refuses the whole batch.
        await L.LogMessageAsync(_s, Agent("x") with { ProviderMessageId = "P1" });
        var conflicting = new List<NewMessage> { Agent("a"), Agent("b") with { ProviderMessageId = "P1" } };
        await Assert.ThrowsAsync<ParleyConflictException>(() => L.LogMessagesAsync(_s, conflicting));
        Assert.Equal(1, _t.Scalar("SELECT count(*) FROM parley_messages"));
        Assert.Equal(1, (await L.GetSessionAsync(_s))!.Summary.MessageCount);
    }

    // Server engines write a group's rows in one statement (PostgreSQL: arrays through unnest, or COPY from 1,000
    // rows; MySQL: a multi-row INSERT whose unset fields and flags are keywords, the rest parameters): rows with every
    // field set, none set, flags set and an error must each come back as they were stored, in both sizes.
    [Theory]
    [InlineData(3)]
    [InlineData(1000)]
    public async Task every_row_of_a_batch_is_read_back_as_logged_whatever_fields_it_sets(int size)
    {
        NewMessage Kind(int i) => (i % 4) switch
        {
            0 => new NewMessage
            {
                IdempotencyKey = $"k-{i}", SenderType = SenderType.Ai, SenderId = "bot-7", SenderName = "Assistant ✨", Channel = "whatsapp",
                Recipient = "+15551234567", Template = "order_update", Subject = "Your order", Content = $"Grüße {i} 👋",
                ProviderMessageId = $"wamid.{i}", Metadata = new JsonObject { ["order"] = i },
            },
            1 => Agent($"plain {i}"),
            2 => new NewMessage { SenderType = SenderType.System, Channel = "sms", Content = $"read {i}", Status = MessageStatus.Read },
            _ => new NewMessage { SenderType = SenderType.System, Channel = "email", Content = $"bounced {i}", Status = MessageStatus.Failed, ErrorCode = "550", ErrorMessage = "mailbox unavailable" },
        };
        var logged = (await L.LogMessagesAsync(_s, [.. Enumerable.Range(0, size).Select(Kind)])).Select(r => r.Message).ToList();
        Assert.True(logged[2].DeliveredImplied);
        foreach (var m in logged.Take(4).Concat(logged.TakeLast(4)))
        {
            var read = (await L.GetMessageAsync(m.Id))!;
            Assert.Equal(m.Metadata?.ToJsonString(), read.Metadata?.ToJsonString());
            Assert.Equal(m with { Events = read.Events, Metadata = read.Metadata }, read with { });
        }
        Assert.Equal(size, (await L.GetSessionAsync(_s))!.Summary.MessageCount);
    }

    [Fact]
    public async Task batches_hold_one_to_max_batch_messages_or_reports()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => L.LogMessagesAsync(_s, []));
        Assert.Equal("messages", e.ParamName);
        e = await Assert.ThrowsAsync<ArgumentException>(() => L.LogMessagesAsync(_s, [.. Enumerable.Range(0, Ledger.MaxBatch + 1).Select(i => Agent("x"))]));
        Assert.StartsWith($"messages must hold 1 to {Ledger.MaxBatch} messages; got {Ledger.MaxBatch + 1}.", e.Message);
        var logged = await L.LogMessagesAsync(_s, [.. Enumerable.Range(0, Ledger.MaxBatch).Select(i => Agent("x"))]);
        Assert.Equal(Ledger.MaxBatch, logged.Count);

        KeyedStatusReport Sent(int i) => new() { MessageId = logged[i % logged.Count].Message.Id, Report = new StatusReport { Status = MessageStatus.Sent } };
        e = await Assert.ThrowsAsync<ArgumentException>(() => L.ReportStatusesAsync([]));
        Assert.Equal("reports", e.ParamName);
        e = await Assert.ThrowsAsync<ArgumentException>(() => L.ReportStatusesAsync([.. Enumerable.Range(0, Ledger.MaxBatch + 1).Select(Sent)]));
        Assert.StartsWith($"reports must hold 1 to {Ledger.MaxBatch} reports; got {Ledger.MaxBatch + 1}.", e.Message);
        Assert.Equal(0, (await L.GetSessionAsync(_s))!.Summary.StatusCounts.GetValueOrDefault("sent"));
        var results = await L.ReportStatusesAsync([.. Enumerable.Range(0, Ledger.MaxBatch).Select(Sent)]);
        Assert.All(results, r => Assert.Equal(ReportOutcome.Applied, r.Outcome));
    }

    [Fact]
    public async Task logging_into_an_unknown_session_is_not_found_and_writes_nothing()
    {
        var e = await Assert.ThrowsAsync<ParleyNotFoundException>(() => L.LogMessageAsync("nope", Agent("x")));
        Assert.Equal("session_id", e.ParamName);
        Assert.Equal(0, _t.Scalar("SELECT count(*) FROM parley_messages"));
    }

    [Fact]
    public async Task the_transcript_pages_by_cursor_in_both_directions()
    {
        await L.LogMessagesAsync(_s, [.. Enumerable.Range(0, 25).Select(i => Agent($"m{i:00}"))]);
        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await L.GetTranscriptAsync(_s, new TranscriptQuery { Limit = 10, Cursor = cursor });
            seen.AddRange(page.Items.Select(m => m.Content));
            cursor = page.NextCursor;
        } while (cursor is not null);
        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"m{i:00}"), seen);

        var desc = await L.GetTranscriptAsync(_s, new TranscriptQuery { Limit = 10, Descending = true });
        Assert.Equal("m24", desc.Items[0].Content);
        var next = await L.GetTranscriptAsync(_s, new TranscriptQuery { Limit = 10, Descending = true, Cursor = desc.NextCursor });
        Assert.Equal("m14", next.Items[0].Content);

        var exact = await L.GetTranscriptAsync(_s, new TranscriptQuery { Limit = 25 });
        Assert.Null(exact.NextCursor);
        await Assert.ThrowsAsync<ArgumentException>(() => L.GetTranscriptAsync(_s, new TranscriptQuery { Cursor = "bogus!" }));
        await Assert.ThrowsAsync<ParleyNotFoundException>(() => L.GetTranscriptAsync("nope"));
    }

    [Fact]
    public async Task search_filters_by_status_channel_recipient_provider_id_and_time()
    {
        var t0 = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < 12; i++)
        {
            await L.LogMessageAsync(_s, new NewMessage
            {
                SenderType = SenderType.System, Channel = i % 3 == 0 ? "sms" : "email", Recipient = $"r{i % 4}", Content = $"m{i}",
                ProviderMessageId = $"p{i}", CreatedAt = t0.AddHours(i),
            });
        }
        var p5 = (await L.SearchMessagesAsync(new MessageQuery { ProviderMessageId = "p5" })).Items;
        await L.ReportStatusAsync(Assert.Single(p5).Id, new StatusReport { Status = MessageStatus.Delivered });

        Assert.Equal(4, (await L.SearchMessagesAsync(new MessageQuery { Channel = "sms" })).Items.Count);
        Assert.Equal(["m9", "m5", "m1"], (await L.SearchMessagesAsync(new MessageQuery { Recipient = "r1" })).Items.Select(m => m.Content));
        Assert.Equal(["m5"], (await L.SearchMessagesAsync(new MessageQuery { Status = MessageStatus.Delivered })).Items.Select(m => m.Content));
        Assert.Equal(["m4", "m3"], (await L.SearchMessagesAsync(new MessageQuery { Since = t0.AddHours(3), Until = t0.AddHours(5) })).Items.Select(m => m.Content));

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await L.SearchMessagesAsync(new MessageQuery { Limit = 5, Cursor = cursor });
            seen.AddRange(page.Items.Select(m => m.Content));
            cursor = page.NextCursor;
        } while (cursor is not null);
        Assert.Equal(Enumerable.Range(0, 12).Reverse().Select(i => $"m{i}"), seen);
    }

    [Fact]
    public async Task acknowledged_writes_survive_closing_and_reopening()
    {
        var logged = await L.LogMessagesAsync(_s, [.. Enumerable.Range(0, 50).Select(i => Agent($"m{i}"))]);
        await _t.ReopenAsync();
        foreach (var m in logged) Assert.NotNull(await _t.Ledger.GetMessageAsync(m.Message.Id));
        Assert.Equal(50, (await _t.Ledger.GetSessionAsync(_s))!.Summary.MessageCount);
    }
}

[Trait("Engine", "sqlite")]
public sealed class MessageTestsOnSqlite() : MessageTests(TestDatabases.Sqlite);

[Trait("Engine", "postgres")]
public sealed class MessageTestsOnPostgres() : MessageTests(TestDatabases.Postgres);

[Trait("Engine", "mysql")]
public sealed class MessageTestsOnMySql() : MessageTests(TestDatabases.MySql);
