using Parley.Internal.Kernel;

namespace Parley.Tests;

/// <summary>Ids are namespaces per tenant (docs/security.md, "Tenants"), on every engine: two tenants hold the same
/// session, message and provider ids as different objects; each tenant's reports, parked reports, read markers,
/// deletes and retention reach its own objects only; the unscoped ledger refuses an id several tenants hold, naming
/// them; and migration 4 keys existing rows by their session's tenant, going down and up with every row kept.</summary>
public class TenantNamespaceTests
{
    private static NewMessage Sms(string id, string provider, string content) =>
        new() { Id = id, SenderType = SenderType.Agent, Channel = "sms", Content = content, ProviderMessageId = provider, IdempotencyKey = "k-" + id };

    [EngineTheory]
    [MemberData(nameof(TestDatabases.All), MemberType = typeof(TestDatabases))]
    public async Task the_same_ids_in_two_tenants_are_two_objects(string engine)
    {
        using var db = new EngineDatabase(engine);
        await using var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = db.Url });
        var acme = ledger.ForTenant("acme");
        var globex = ledger.ForTenant("globex");
        Assert.True(acme.IsTenantScoped);
        Assert.Equal("acme", acme.Tenant);

        foreach (var (view, name) in new[] { (acme, "acme"), (globex, "globex") })
        {
            var made = await view.CreateSessionAsync(new NewSession { Id = "chat-1", Title = name });
            Assert.True(made.Created);
            Assert.Equal(name, made.Session.Tenant);
            var one = await view.LogMessageAsync("chat-1", Sms("m-1", "SM-1", name + " words"));
            Assert.True(one.Created);
            // A batch large enough for each engine's bulk paths (COPY, multi-row INSERT), with the same ids in both.
            var many = await view.LogMessagesAsync("chat-1", [.. Enumerable.Range(0, 300).Select(i => Sms($"b-{i}", $"SMB-{i}", $"{name} {i}"))]);
            Assert.All(many, m => Assert.True(m.Created));
        }
        await Assert.ThrowsAsync<ArgumentException>(() => acme.CreateSessionAsync(new NewSession { Id = "x", Tenant = "globex" }));

        // Repeats are found within the tenant: same id, same idempotency key.
        var again = await globex.LogMessageAsync("chat-1", Sms("m-1", "SM-1", "ignored"));
        Assert.False(again.Created);
        Assert.Equal("globex words", again.Message.Content);

        // Provider callbacks, one at a time and in a batch (the prefetching path), reach the reporting tenant only.
        var single = await globex.ReportStatusesAsync([new KeyedStatusReport { Report = new StatusReport { Status = MessageStatus.Delivered, ProviderMessageId = "SM-1" } }]);
        Assert.Equal(ReportOutcome.Applied, single[0].Outcome);
        var batch = await globex.ReportStatusesAsync([.. Enumerable.Range(0, 300).Select(i =>
            new KeyedStatusReport { Report = new StatusReport { Status = MessageStatus.Sent, ProviderMessageId = $"SMB-{i}" } })]);
        Assert.All(batch, r => Assert.Equal(ReportOutcome.Applied, r.Outcome));
        Assert.Equal(MessageStatus.Delivered, (await globex.GetMessageAsync("m-1"))!.Status);
        Assert.Equal(MessageStatus.Pending, (await acme.GetMessageAsync("m-1"))!.Status);
        Assert.Equal("acme words", (await acme.GetMessageAsync("m-1"))!.Content);
        Assert.Equal(300, (await globex.SearchMessagesAsync(new MessageQuery { Status = MessageStatus.Sent, Limit = 200 })).Items.Count
                          + (await globex.SearchMessagesAsync(new MessageQuery { Status = MessageStatus.Sent, Limit = 200 }) is { NextCursor: { } c }
                              ? (await globex.SearchMessagesAsync(new MessageQuery { Status = MessageStatus.Sent, Limit = 200, Cursor = c })).Items.Count : 0));
        Assert.Empty((await acme.SearchMessagesAsync(new MessageQuery { Status = MessageStatus.Sent })).Items);
        Assert.Equal(301, (await acme.GetSessionAsync("chat-1"))!.Summary.StatusCounts["pending"]);

        // A report for a provider id no message of the tenant carries is parked for that tenant: the other tenant's
        // message with that id does not take it; the reporting tenant's does.
        var parked = await globex.ReportStatusesAsync([new KeyedStatusReport { Report = new StatusReport { Status = MessageStatus.Read, ProviderMessageId = "SM-2" } }]);
        Assert.True(parked[0].Parked);
        Assert.Equal(MessageStatus.Pending, (await acme.LogMessageAsync("chat-1", Sms("m-2", "SM-2", "acme two"))).Message.Status);
        Assert.Equal(MessageStatus.Read, (await globex.LogMessageAsync("chat-1", Sms("m-2", "SM-2", "globex two"))).Message.Status);
        // One parked by the unscoped ledger waits for a message of any tenant.
        Assert.True((await ledger.ReportStatusesAsync([new KeyedStatusReport { Report = new StatusReport { Status = MessageStatus.Delivered, ProviderMessageId = "SM-3" } }]))[0].Parked);
        Assert.Equal(MessageStatus.Delivered, (await acme.LogMessageAsync("chat-1", Sms("m-3", "SM-3", "acme three"))).Message.Status);

        // Read markers and transcripts stay in the tenant.
        await globex.LogMessageAsync("chat-1", new NewMessage { SenderType = SenderType.User, Content = "question" });
        Assert.Equal(1, await globex.MarkReadAsync("chat-1", new ReadMarker { Reader = Reader.Agent }));
        Assert.Equal(0, (await globex.GetSessionAsync("chat-1"))!.Summary.UnreadForAgent);
        Assert.Equal("acme words", (await acme.GetTranscriptAsync("chat-1")).Items[0].Content);

        // The unscoped ledger: an id one tenant holds is found; one several hold is refused, naming them.
        Assert.Equal("acme three", (await ledger.GetMessageAsync("m-3"))!.Content);
        var ambiguous = await Assert.ThrowsAsync<ParleyConflictException>(() => ledger.GetSessionAsync("chat-1"));
        Assert.Contains("'acme'", ambiguous.Message, StringComparison.Ordinal);
        Assert.Contains("'globex'", ambiguous.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ParleyConflictException>(() => ledger.GetMessageAsync("m-1"));
        await Assert.ThrowsAsync<ParleyConflictException>(() => ledger.ReportStatusAsync("m-1", new StatusReport { Status = MessageStatus.Read }));
        await Assert.ThrowsAsync<ParleyConflictException>(() => ledger.LogMessageAsync("chat-1", Sms("m-9", "SM-9", "where?")));
        await Assert.ThrowsAsync<ParleyConflictException>(() => ledger.DeleteSessionAsync("chat-1"));
        var byProvider = await ledger.ReportStatusesAsync([new KeyedStatusReport { Report = new StatusReport { Status = MessageStatus.Read, ProviderMessageId = "SM-1" } }]);
        Assert.IsType<ParleyConflictException>(byProvider[0].Error);
        Assert.Equal(MessageStatus.Pending, (await acme.GetMessageAsync("m-1"))!.Status);
        // Sessions without a tenant are a namespace of their own.
        Assert.True((await ledger.CreateSessionAsync(new NewSession { Id = "chat-1" })).Created);
        Assert.Null((await ledger.ForTenant(null).GetSessionAsync("chat-1"))!.Tenant);
        Assert.Equal(1, (await ledger.ForTenant(null).ListSessionsAsync()).Total);
        Assert.Throws<ArgumentException>(() => ledger.ForTenant(""));
        Assert.Equal(3, (await ledger.ListSessionsAsync()).Total);
        Assert.Equal(1, (await globex.ListSessionsAsync()).Total);

        // Deleting one tenant's session leaves the other's; retention follows each tenant's sessions.
        Assert.True(await globex.DeleteSessionAsync("chat-1"));
        Assert.Null(await globex.GetSessionAsync("chat-1"));
        Assert.Equal(303, (await acme.GetSessionAsync("chat-1"))!.Summary.MessageCount);
        Assert.Equal(303, await ledger.CleanupAsync(DateTimeOffset.UtcNow.AddMinutes(1)));
        var emptied = (await acme.GetSessionAsync("chat-1"))!.Summary;
        Assert.Equal(0, emptied.MessageCount);
        Assert.Empty(emptied.StatusCounts);
        var url = DatabaseUrl.Parse(db.Url);
        Assert.Empty(Internal.Check.DataCheck.Run(url, repair: false));
    }

    [Fact]
    public async Task the_command_line_names_the_tenant_of_an_id_several_hold()
    {
        using var db = new EngineDatabase(TestDatabases.Sqlite);
        await using (var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = db.Url }))
        {
            await ledger.ForTenant("acme").CreateSessionAsync(new NewSession { Id = "chat-1", Title = "acme's" });
            await ledger.ForTenant("globex").CreateSessionAsync(new NewSession { Id = "chat-1", Title = "globex's" });
        }
        var ambiguous = await ChildProcess.ParleyAsync("sessions", "show", "chat-1", "--db", db.Url);
        Assert.Equal(2, ambiguous.Exit);
        Assert.Contains("exists in several tenants ('acme', 'globex'); name it with --tenant.", ambiguous.Err, StringComparison.Ordinal);
        var named = await ChildProcess.ParleyAsync("sessions", "show", "chat-1", "--tenant", "globex", "--db", db.Url);
        Assert.True(named.Exit == 0, named.Err);
        Assert.Contains("\"globex's\"", named.Out, StringComparison.Ordinal);
        var list = await ChildProcess.ParleyAsync("sessions", "list", "--tenant", "acme", "--json", "--db", db.Url);
        Assert.True(list.Exit == 0, list.Err);
        Assert.Equal(1, System.Text.Json.JsonDocument.Parse(list.Out).RootElement.GetProperty("total").GetInt32());
    }

    [EngineTheory]
    [MemberData(nameof(TestDatabases.All), MemberType = typeof(TestDatabases))]
    public async Task migration_4_keys_every_row_by_its_sessions_tenant_down_and_up(string engine)
    {
        using var db = new EngineDatabase(engine);
        await using (var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = db.Url }))
        {
            await ledger.CreateSessionAsync(new NewSession { Id = "a", Tenant = "acme" });
            await ledger.CreateSessionAsync(new NewSession { Id = "n" });
            await ledger.LogMessagesAsync("a", [Sms("a-1", "P-a1", "acme"), Sms("a-2", "P-a2", "acme")]);
            await ledger.LogMessagesAsync("n", [Sms("n-1", "P-n1", "none")]);
            await ledger.ReportStatusAsync("a-1", new StatusReport { Status = MessageStatus.Delivered });
            await ledger.ReportStatusesAsync([new KeyedStatusReport { Report = new StatusReport { Status = MessageStatus.Read, ProviderMessageId = "P-later" } }]);
        }
        string[] tables = ["parley_sessions", "parley_session_facets", "parley_messages", "parley_message_events", "parley_parked_reports"];
        string Key(string table) => table switch
        {
            "parley_sessions" => "id",
            "parley_session_facets" => "session_id, facet, value",
            "parley_messages" or "parley_message_events" or "parley_parked_reports" => "id",
            _ => throw new ArgumentOutOfRangeException(nameof(table)),
        };
        var before = tables.ToDictionary(t => t, t => db.Dump(t, Key(t)));

        db.Runner().Rollback(3, allowDestructive: true);
        Assert.Equal(0, db.Scalar(engine == TestDatabases.Sqlite
            ? "SELECT count(*) FROM pragma_table_info('parley_messages') WHERE name = 'tenant_key'"
            : "SELECT count(*) FROM information_schema.columns WHERE table_name = 'parley_messages' AND column_name = 'tenant_key'" +
              (engine == TestDatabases.Postgres ? " AND table_schema = current_schema()" : " AND table_schema = DATABASE()")));
        db.Runner().Migrate();
        Assert.Empty(db.Runner().Verify());

        // Every row is back, keyed by its session's tenant; the parked report, reported unscoped, waits for any tenant.
        Assert.Equal(2, db.Scalar("SELECT count(*) FROM parley_messages WHERE tenant_key = 'acme'"));
        Assert.Equal(1, db.Scalar("SELECT count(*) FROM parley_messages WHERE tenant_key = ''"));
        Assert.Equal(1, db.Scalar("SELECT count(*) FROM parley_message_events WHERE tenant_key = 'acme'"));
        Assert.Equal(0, db.Scalar("SELECT count(*) FROM parley_session_facets WHERE session_id = 'a' AND tenant_key <> 'acme'"));
        Assert.Equal(1, db.Scalar("SELECT count(*) FROM parley_parked_reports WHERE tenant_key IS NULL"));
        foreach (var t in tables) Assert.Equal(before[t], db.Dump(t, Key(t)));

        await using var reopened = await Ledger.OpenAsync(new LedgerOptions { Database = db.Url });
        Assert.Equal(MessageStatus.Delivered, (await reopened.ForTenant("acme").GetMessageAsync("a-1"))!.Status);
        Assert.Null(await reopened.ForTenant("globex").GetMessageAsync("a-1"));
        Assert.Equal(1, (await reopened.ForTenant(null).GetSessionAsync("n"))!.Summary.MessageCount);
    }
}
