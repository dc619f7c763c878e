using System.Text.Json.Nodes;

namespace Parley.Tests;

public abstract class SessionTests(string engine) : IAsyncLifetime
{
    private TempLedger _t = null!;
    public async Task InitializeAsync() => _t = await TempLedger.OpenAsync(engine);
    public async Task DisposeAsync() => await _t.DisposeAsync();
    private Ledger L => _t.Ledger;

    [Fact]
    public async Task a_session_gets_a_ulid_and_defaults_when_nothing_is_given()
    {
        var r = await L.CreateSessionAsync(new NewSession());
        Assert.True(r.Created);
        Assert.Equal(26, r.Session.Id.Length);
        Assert.Equal("chat", r.Session.Kind);
        Assert.Equal(SessionStatus.Active, r.Session.Status);
        Assert.Equal(0, r.Session.Summary.MessageCount);
    }

    [Fact]
    public async Task creating_an_existing_id_returns_the_stored_session_unchanged()
    {
        var first = await L.CreateSessionAsync(new NewSession { Id = "run-1", Kind = "bulk_send", Title = "November" });
        var again = await L.CreateSessionAsync(new NewSession { Id = "run-1", Kind = "live_agent", Title = "other" });
        Assert.False(again.Created);
        Assert.Equal("bulk_send", again.Session.Kind);
        Assert.Equal("November", again.Session.Title);
        Assert.Equal(first.Session.StartedAt, again.Session.StartedAt);
        Assert.Equal(1, _t.Scalar("SELECT count(*) FROM parley_sessions"));
    }

    [Fact]
    public async Task patch_changes_only_what_it_names_and_null_clears()
    {
        await L.CreateSessionAsync(new NewSession { Id = "s", Title = "t1", Metadata = new JsonObject { ["a"] = 1 } });
        var s = await L.UpdateSessionAsync("s", new SessionPatch { Title = "t2" });
        Assert.Equal("t2", s.Title);
        Assert.Equal(1, (int)s.Metadata!["a"]!);
        s = await L.UpdateSessionAsync("s", new SessionPatch { Metadata = new Optional<JsonObject?>(null) });
        Assert.Null(s.Metadata);
        Assert.Equal("t2", s.Title);
        await Assert.ThrowsAsync<ParleyNotFoundException>(() => L.UpdateSessionAsync("missing", new SessionPatch { Title = "x" }));
    }

    [Fact]
    public async Task ending_sets_status_and_time_once()
    {
        await L.CreateSessionAsync(new NewSession { Id = "s" });
        var at = new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
        var ended = await L.EndSessionAsync("s", at);
        Assert.Equal(SessionStatus.Ended, ended.Status);
        Assert.Equal(at, ended.EndedAt);
        var again = await L.EndSessionAsync("s", at.AddHours(1));
        Assert.Equal(at, again.EndedAt);
    }

    [Fact]
    public async Task delete_cascades_to_messages_events_and_facets_leaving_no_orphans()
    {
        await L.CreateSessionAsync(new NewSession { Id = "gone" });
        await L.CreateSessionAsync(new NewSession { Id = "kept" });
        foreach (var sid in new[] { "gone", "kept" })
        {
            var m = await L.LogMessageAsync(sid, new NewMessage { SenderType = SenderType.Agent, Content = "x", Template = "welcome" });
            await L.ReportStatusAsync(m.Message.Id, new StatusReport { Status = MessageStatus.Delivered });
        }
        Assert.True(await L.DeleteSessionAsync("gone"));
        Assert.False(await L.DeleteSessionAsync("gone"));
        Assert.Null(await L.GetSessionAsync("gone"));
        Assert.Equal(1, _t.Scalar("SELECT count(*) FROM parley_messages"));
        Assert.Equal(1, _t.Scalar("SELECT count(*) FROM parley_message_events"));
        Assert.Equal(0, _t.Scalar("SELECT count(*) FROM parley_session_facets WHERE session_id = 'gone'"));
        Assert.Equal(0, _t.Scalar("SELECT count(*) FROM parley_messages m WHERE NOT EXISTS (SELECT 1 FROM parley_sessions s WHERE s.id = m.session_id)"));
        Assert.Equal(0, _t.Scalar("SELECT count(*) FROM parley_message_events e WHERE NOT EXISTS (SELECT 1 FROM parley_messages m WHERE m.id = e.message_id)"));
    }

    [Fact]
    public async Task list_filters_pages_and_orders_by_newest_activity()
    {
        var t0 = new DateTimeOffset(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(t0) { AutoAdvanceAmount = TimeSpan.FromSeconds(1) };
        await using var t = await TempLedger.OpenAsync(engine, o => o.TimeProvider = clock);
        var L = t.Ledger;
        for (var i = 0; i < 25; i++)
        {
            await L.CreateSessionAsync(new NewSession
            {
                Id = $"s{i:00}", Kind = i % 2 == 0 ? "bulk_send" : "live_agent", Title = i == 7 ? "Black Friday 50%_off" : $"session {i}",
                StartedAt = t0.AddDays(i),
            });
        }
        await L.LogMessageAsync("s03", new NewMessage { SenderType = SenderType.System, Channel = "email", Content = "x" });
        await L.EndSessionAsync("s04");

        var page1 = await L.ListSessionsAsync(new SessionQuery { PerPage = 10 });
        Assert.Equal(25, page1.Total);
        Assert.Equal(3, page1.TotalPages);
        Assert.Equal(10, page1.Items.Count);
        Assert.Equal("s04", page1.Items[0].Id); // the latest activity first
        Assert.Equal("s03", page1.Items[1].Id);
        var page3 = await L.ListSessionsAsync(new SessionQuery { PerPage = 10, Page = 3 });
        Assert.Equal(5, page3.Items.Count);
        var all = page1.Items.Concat((await L.ListSessionsAsync(new SessionQuery { PerPage = 10, Page = 2 })).Items).Concat(page3.Items).Select(s => s.Id);
        Assert.Equal(25, all.Distinct().Count());

        Assert.Equal(13, (await L.ListSessionsAsync(new SessionQuery { Kind = "bulk_send" })).Total);
        Assert.Equal(["s04"], (await L.ListSessionsAsync(new SessionQuery { Status = SessionStatus.Ended })).Items.Select(s => s.Id));
        Assert.Equal(["s03"], (await L.ListSessionsAsync(new SessionQuery { Channel = "email" })).Items.Select(s => s.Id));
        // LIKE wildcards in the search text are literal.
        Assert.Equal(["s07"], (await L.ListSessionsAsync(new SessionQuery { Text = "50%_off" })).Items.Select(s => s.Id));
        Assert.Empty((await L.ListSessionsAsync(new SessionQuery { Text = "off%" })).Items);
        var window = await L.ListSessionsAsync(new SessionQuery { Since = t0.AddDays(10), Until = t0.AddDays(12) });
        Assert.Equal(["s10", "s11"], window.Items.Select(s => s.Id).Order());
        Assert.Empty((await L.ListSessionsAsync(new SessionQuery { Page = 99 })).Items);
    }

    [Theory]
    [InlineData(0, 20, "page")]
    [InlineData(1, 0, "per_page")]
    [InlineData(1, 201, "per_page")]
    [InlineData(2_000_000, 20, "page")]
    public async Task out_of_range_paging_is_refused_not_clamped(int page, int perPage, string field)
    {
        var e = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => L.ListSessionsAsync(new SessionQuery { Page = page, PerPage = perPage }));
        Assert.Equal(field, e.ParamName);
    }
}

[Trait("Engine", "sqlite")]
public sealed class SessionTestsOnSqlite() : SessionTests(TestDatabases.Sqlite);

[Trait("Engine", "postgres")]
public sealed class SessionTestsOnPostgres() : SessionTests(TestDatabases.Postgres);

[Trait("Engine", "mysql")]
public sealed class SessionTestsOnMySql() : SessionTests(TestDatabases.MySql);
