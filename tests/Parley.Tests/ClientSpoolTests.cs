using Microsoft.Data.Sqlite;
using Parley.Client;

namespace Parley.Tests;

/// <summary>Parley.Client while the server's database cannot be written (docs/http-api.md, "Spooled writes"): the
/// writes it sends are answered 202 and say <c>Spooled</c>; reads and the writes that cannot be spooled are
/// <see cref="ParleyUnavailableException"/> with the server's <c>Retry-After</c>; once the database is back, the
/// spooled writes are there.</summary>
public class ClientSpoolTests : IAsyncLifetime
{
    private ServerFixture _s = null!;
    private ParleyClient _parley = null!;

    public async Task InitializeAsync()
    {
        _s = await ServerFixture.StartAsync();
        _parley = new ParleyClient(_s.Http);
        await _parley.CreateSessionAsync(new NewSession { Id = "s" });
        await _parley.LogMessageAsync("s", new NewMessage { Id = "m0", SenderType = SenderType.Agent, Content = "before" });
    }

    public async Task DisposeAsync() => await _s.DisposeAsync();

    [Fact]
    public async Task writes_while_the_database_is_locked_say_spooled_and_reads_are_unavailable_until_it_is_back()
    {
        using (TestDatabases.LockSqlite(_s.DbPath))
        {
            // The 202 body is the session plus "spooled": true, a field the client does not map and skips.
            var session = await _parley.CreateSessionAsync(new NewSession { Id = "later", Title = "while locked" });
            Assert.True(session.Spooled);
            Assert.True(session.Created);
            Assert.Equal(("later", "while locked"), (session.Session.Id, session.Session.Title));
            var logged = await _parley.LogMessageAsync("s", new NewMessage { Id = "m1", SenderType = SenderType.Agent, Content = "while locked" });
            Assert.True(logged.Spooled);
            Assert.Equal("m1", logged.Message.Id);
            var batch = await _parley.LogMessagesAsync("s", [new NewMessage { Id = "m2", SenderType = SenderType.User, Content = "a" }, new NewMessage { Id = "m3", SenderType = SenderType.User, Content = "b" }]);
            Assert.All(batch, b => Assert.True(b.Spooled));
            Assert.Equal(["m2", "m3"], batch.Select(b => b.Message.Id));
            var report = await _parley.ReportStatusAsync("m0", new StatusReport { Status = MessageStatus.Sent });
            Assert.Equal(ReportOutcome.Spooled, report.Outcome);
            Assert.Null(report.Message);
            var reports = await _parley.ReportStatusesAsync([new KeyedStatusReport { MessageId = "m1", Report = new StatusReport { Status = MessageStatus.Delivered } }]);
            Assert.Equal(ReportOutcome.Spooled, Assert.Single(reports).Outcome);

            var read = await Assert.ThrowsAsync<ParleyUnavailableException>(() => _parley.GetMessageAsync("m1"));
            Assert.Equal(TimeSpan.FromSeconds(2), read.RetryAfter);
            Assert.True(read.IsTransient);
            Assert.Contains("503", read.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<ParleyUnavailableException>(() => _parley.EndSessionAsync("s"));
            var ready = await _parley.GetReadinessAsync();
            Assert.False(ready.IsReady);
            Assert.Equal("unavailable", ready.Status);
            Assert.True(ready.Spool!.Pending > 0, $"{ready.Spool.Pending} writes pending");
        }
        SqliteConnection.ClearAllPools();

        await _s.Ledger.SpoolDrained.WaitAsync(TimeSpan.FromMinutes(1));
        Assert.True((await _parley.GetReadinessAsync()).IsReady);
        Assert.Equal("while locked", (await _parley.GetSessionAsync("later"))!.Title);
        Assert.Equal(MessageStatus.Sent, (await _parley.GetMessageAsync("m0"))!.Status);
        Assert.Equal(MessageStatus.Delivered, (await _parley.GetMessageAsync("m1"))!.Status);
        Assert.Equal(["m0", "m1", "m2", "m3"], (await _parley.GetTranscriptAsync("s")).Items.Select(m => m.Id));
    }
}
