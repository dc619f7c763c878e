namespace Parley.Tests;

/// <summary>docs/lifecycle.md, "Read markers": two markers per session, moved forward only, each passing message
/// reported read.</summary>
public abstract class ReadMarkerTests(string engine) : IAsyncLifetime
{
    private TempLedger _t = null!;
    private readonly List<Message> _m = [];

    public async Task InitializeAsync()
    {
        _t = await TempLedger.OpenAsync(engine);
        await _t.NewSessionAsync("chat");
        // user, agent, user, ai, system, user
        foreach (var sender in new[] { SenderType.User, SenderType.Agent, SenderType.User, SenderType.Ai, SenderType.System, SenderType.User })
            _m.Add((await _t.Ledger.LogMessageAsync("chat", new NewMessage { SenderType = sender, Content = sender.ToString() })).Message);
    }

    public async Task DisposeAsync() => await _t.DisposeAsync();
    private Ledger L => _t.Ledger;

    [Fact]
    public async Task unread_counts_follow_each_new_message()
    {
        var s = (await L.GetSessionAsync("chat"))!.Summary;
        Assert.Equal(3, s.UnreadForAgent);
        Assert.Equal(3, s.UnreadForUser);
    }

    [Fact]
    public async Task the_agent_marker_reads_user_messages_up_to_the_given_message()
    {
        var at = new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
        var marked = await L.MarkReadAsync("chat", new ReadMarker { Reader = Reader.Agent, UpTo = _m[3].Id, At = at });
        Assert.Equal(2, marked);
        var first = (await L.GetMessageAsync(_m[0].Id))!;
        Assert.True(first.ReadByAgent);
        Assert.Equal(MessageStatus.Read, first.Status);
        Assert.Equal(at, first.ReadAt);
        Assert.Equal("read_marker", first.Events![^1].Source);
        Assert.False((await L.GetMessageAsync(_m[5].Id))!.ReadByAgent);
        // Agent-side messages are not the agent's to read.
        var agentMessage = (await L.GetMessageAsync(_m[1].Id))!;
        Assert.False(agentMessage.ReadByAgent);
        Assert.Equal(MessageStatus.Pending, agentMessage.Status);
        Assert.Equal(1, (await L.GetSessionAsync("chat"))!.Summary.UnreadForAgent);
    }

    [Fact]
    public async Task a_marker_never_moves_backward()
    {
        Assert.Equal(3, await L.MarkReadAsync("chat", new ReadMarker { Reader = Reader.User }));
        Assert.Equal(0, await L.MarkReadAsync("chat", new ReadMarker { Reader = Reader.User, UpTo = _m[1].Id }));
        var s = (await L.GetSessionAsync("chat"))!.Summary;
        Assert.Equal(0, s.UnreadForUser);
        Assert.True((await L.GetMessageAsync(_m[4].Id))!.ReadByUser);
        Assert.Equal(1, _t.Scalar($"SELECT count(*) FROM parley_message_events WHERE message_id = '{_m[1].Id}'"));
    }

    [Fact]
    public async Task new_messages_after_the_marker_are_unread_again()
    {
        await L.MarkReadAsync("chat", new ReadMarker { Reader = Reader.Agent });
        Assert.Equal(0, (await L.GetSessionAsync("chat"))!.Summary.UnreadForAgent);
        await L.LogMessageAsync("chat", new NewMessage { SenderType = SenderType.User, Content = "more" });
        Assert.Equal(1, (await L.GetSessionAsync("chat"))!.Summary.UnreadForAgent);
    }

    [Fact]
    public async Task an_up_to_message_from_another_session_or_an_unknown_session_is_not_found()
    {
        await _t.NewSessionAsync("other");
        var foreign = (await L.LogMessageAsync("other", new NewMessage { SenderType = SenderType.User, Content = "x" })).Message.Id;
        var e = await Assert.ThrowsAsync<ParleyNotFoundException>(() => L.MarkReadAsync("chat", new ReadMarker { Reader = Reader.Agent, UpTo = foreign }));
        Assert.Equal("up_to", e.ParamName);
        await Assert.ThrowsAsync<ParleyNotFoundException>(() => L.MarkReadAsync("nope", new ReadMarker { Reader = Reader.Agent }));
        Assert.Equal(3, (await L.GetSessionAsync("chat"))!.Summary.UnreadForAgent);
    }
}

[Trait("Engine", "sqlite")]
public sealed class ReadMarkerTestsOnSqlite() : ReadMarkerTests(TestDatabases.Sqlite);

[Trait("Engine", "postgres")]
public sealed class ReadMarkerTestsOnPostgres() : ReadMarkerTests(TestDatabases.Postgres);

[Trait("Engine", "mysql")]
public sealed class ReadMarkerTestsOnMySql() : ReadMarkerTests(TestDatabases.MySql);
