using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Parley.Tests;

/// <summary>The spool through the library, on a real SQLite file that another connection holds locked (the write
/// lock of <c>BEGIN IMMEDIATE</c>, as another process would): writes are acknowledged as spooled, reads are refused
/// as unavailable, and once the lock goes the spool is replayed in order — exactly once, with the rules applied.</summary>
public sealed class SpoolLedgerTests : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("parley-spooled-").FullName;
    private string DbPath => Path.Combine(_dir, "parley.db");
    private string Url => "sqlite:" + DbPath;

    private readonly FakeTimeProvider _clock = new();

    // A write the locked database refuses goes to the spool at its first failure (SpoolAfter zero), and a replay is due
    // only once the test moves the ledger's clock on: none is tried while the lock is held.
    private LedgerOptions Options(long maxBytes = 1L << 30) => new()
    {
        Database = Url, BusyTimeout = TimeSpan.FromMilliseconds(50), SpoolAfter = TimeSpan.Zero, SpoolMaxBytes = maxBytes, TimeProvider = _clock,
    };

    private SqliteConnection Lock() => TestDatabases.LockSqlite(DbPath);

    private Task DrainedAsync(Ledger ledger) => SpoolReplay.DrainAsync(ledger, _clock);

    private long Scalar(string sql)
    {
        using var conn = TestDatabases.Open(Url);
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static NewMessage Agent(string id, string? provider = null) =>
        new() { Id = id, SenderType = SenderType.Agent, Channel = "sms", Content = "hello " + id, ProviderMessageId = provider };

    [Fact]
    public async Task writes_while_the_database_is_locked_are_spooled_then_replayed_in_order_exactly_once()
    {
        await using var ledger = await Ledger.OpenAsync(Options());
        await ledger.CreateSessionAsync(new NewSession { Id = "s" });
        await ledger.LogMessageAsync("s", Agent("m0", "p0"));

        using (Lock())
        {
            var logged = await Task.WhenAll(Enumerable.Range(1, 20).Select(i => ledger.LogMessageAsync("s", Agent($"m{i}", $"p{i}"))));
            Assert.All(logged, l => Assert.True(l.Spooled));
            Assert.All(logged, l => Assert.Equal(MessageStatus.Pending, l.Message.Status));
            // A session created during the outage, and a message into it: replay keeps their order.
            var created = await ledger.CreateSessionAsync(new NewSession { Id = "later", Title = "made while locked" });
            Assert.True(created.Spooled);
            Assert.True((await ledger.LogMessageAsync("later", Agent("l1"))).Spooled);
            // Reports on a stored message and on spooled ones, out of order: the rules apply at replay.
            Assert.Equal(ReportOutcome.Spooled, (await ledger.ReportStatusAsync("m0", new StatusReport { Status = MessageStatus.Read })).Outcome);
            Assert.Equal(ReportOutcome.Spooled, (await ledger.ReportStatusAsync("m0", new StatusReport { Status = MessageStatus.Delivered })).Outcome);
            var batch = await ledger.ReportStatusesAsync([
                new KeyedStatusReport { Report = new StatusReport { Status = MessageStatus.Delivered, ProviderMessageId = "p5" } },
                new KeyedStatusReport { MessageId = "m6", Report = new StatusReport { Status = MessageStatus.Failed, ErrorCode = "E1" } },
                new KeyedStatusReport { MessageId = "m7", Report = new StatusReport { Status = MessageStatus.Sent, ErrorCode = "not with sent" } },
            ]);
            Assert.Equal([ReportOutcome.Spooled, ReportOutcome.Spooled, null], batch.Select(b => b.Outcome));
            Assert.IsAssignableFrom<ArgumentException>(batch[2].Error);
            // A repeat of a spooled message is spooled again and stored once.
            Assert.True((await ledger.LogMessageAsync("s", Agent("m3", "p3"))).Spooled);

            Assert.True(ledger.Spool!.Pending >= 26);
            Assert.True(new FileInfo(ledger.Spool.Path).Length > 0);
            var read = await Assert.ThrowsAsync<ParleyUnavailableException>(() => ledger.GetMessageAsync("m0"));
            Assert.Contains("spool", read.Message, StringComparison.Ordinal);
            // Calls that need the database answer unavailable rather than waiting.
            await Assert.ThrowsAsync<ParleyUnavailableException>(() => ledger.MarkReadAsync("s", new ReadMarker { Reader = Reader.User }));
            Assert.Equal(1, Scalar("SELECT COUNT(*) FROM parley_messages"));
        }

        await DrainedAsync(ledger);
        Assert.Equal(22, Scalar("SELECT COUNT(*) FROM parley_messages"));
        Assert.Equal(1, Scalar("SELECT COUNT(*) FROM parley_messages WHERE id = 'm3'"));
        Assert.Equal(MessageStatus.Read, (await ledger.GetMessageAsync("m0"))!.Status);
        Assert.Equal(MessageStatus.Delivered, (await ledger.GetMessageAsync("m5"))!.Status);
        var failed = (await ledger.GetMessageAsync("m6"))!;
        Assert.Equal((MessageStatus.Failed, "E1"), (failed.Status, failed.ErrorCode));
        var later = (await ledger.GetSessionAsync("later"))!;
        Assert.Equal(("made while locked", 1L), (later.Title, later.Summary.MessageCount));
        Assert.Equal(21, (await ledger.GetSessionAsync("s"))!.Summary.MessageCount);
        // Seq follows the spool's order.
        var transcript = await ledger.GetTranscriptAsync("s", new TranscriptQuery { Limit = 200 });
        Assert.Equal([.. Enumerable.Range(0, 21).Select(i => $"m{i}")], transcript.Items.Select(m => m.Id));

        var events = await ledger.GetSystemEventsAsync();
        Assert.Contains(events, e => e.Event == "spool_used");
        var replayed = Assert.Single(events, e => e.Event == "spool_replayed");
        Assert.True(replayed.Detail!["records"]!.GetValue<int>() >= 26);
        var url = Internal.Kernel.DatabaseUrl.Parse(Url);
        Assert.Empty(Internal.Check.DataCheck.Run(url, repair: false));
    }

    [Fact]
    public async Task spooled_writes_wait_through_a_restart_and_are_replayed_when_the_ledger_opens_again()
    {
        await using (var ledger = await Ledger.OpenAsync(Options()))
        {
            await ledger.CreateSessionAsync(new NewSession { Id = "s" });
            using (Lock())
            {
                for (var i = 0; i < 5; i++) Assert.True((await ledger.LogMessageAsync("s", Agent($"m{i}"))).Spooled);
                // Closing while the database is still locked leaves the writes in the spool.
                await ledger.DisposeAsync();
            }
        }
        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM parley_messages"));
        Assert.True(new FileInfo(DbPath + ".spool").Length > 16);

        await using var reopened = await Ledger.OpenAsync(Options());
        await DrainedAsync(reopened);
        Assert.Equal(5, Scalar("SELECT COUNT(*) FROM parley_messages"));
        Assert.Equal(5, (await reopened.GetSessionAsync("s"))!.Summary.MessageCount);
    }

    [Fact]
    public async Task a_replay_that_meets_the_lock_waits_its_pause_on_the_clock_and_is_tried_again()
    {
        await using var ledger = await Ledger.OpenAsync(Options());
        await ledger.CreateSessionAsync(new NewSession { Id = "s" });
        using (Lock())
        {
            for (var i = 0; i < 3; i++) Assert.True((await ledger.LogMessageAsync("s", Agent($"m{i}"))).Spooled);
            var pending = ledger.Spool!.Pending;
            // The writer waits for its first replay on the clock; past that pause, the attempt meets the lock and the
            // writer waits again, for a longer pause on the same clock.
            await ledger.ReplayWaiting.WaitAsync(TimeSpan.FromSeconds(60));
            _clock.Advance(TimeSpan.FromSeconds(5));
            await ledger.ReplayWaiting.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(pending, ledger.Spool.Pending);
            Assert.Equal(0, Scalar("SELECT COUNT(*) FROM parley_messages"));
        }
        // The lock is gone, and nothing is tried until the clock passes the new pause.
        Assert.False(ledger.SpoolDrained.IsCompleted);
        await DrainedAsync(ledger);
        var transcript = await ledger.GetTranscriptAsync("s", new TranscriptQuery { Limit = 10 });
        Assert.Equal(["m0", "m1", "m2"], transcript.Items.Select(m => m.Id));
        Assert.Single(await ledger.GetSystemEventsAsync(), e => e.Event == "spool_replayed");
    }

    [Fact]
    public async Task a_write_retrying_a_locked_database_is_spooled_once_the_ledgers_clock_passes_spool_after()
    {
        var log = new CapturedLog();
        using var loggers = log.Factory();
        var options = Options();
        options.SpoolAfter = TimeSpan.FromSeconds(2);
        options.LoggerFactory = loggers;
        await using var ledger = await Ledger.OpenAsync(options);
        await ledger.CreateSessionAsync(new NewSession { Id = "s" });
        using (Lock())
        {
            var write = ledger.LogMessageAsync("s", Agent("m0"));
            // It retries on real time while the ledger's clock stands still: not spooled, however long that takes.
            await log.WhenLogged(m => m.StartsWith("Transient database error, retry", StringComparison.Ordinal)).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.False(write.IsCompleted);
            // Past SpoolAfter on the ledger's clock, the next attempt that fails spools the write instead of retrying.
            _clock.Advance(TimeSpan.FromSeconds(2));
            Assert.True((await write.WaitAsync(TimeSpan.FromSeconds(60))).Spooled);
        }
        await DrainedAsync(ledger);
        Assert.Equal(1, Scalar("SELECT COUNT(*) FROM parley_messages WHERE id = 'm0'"));
    }

    [Fact]
    public async Task a_spooled_write_the_database_refuses_is_kept_aside_with_an_error_event()
    {
        await using var ledger = await Ledger.OpenAsync(Options());
        await ledger.CreateSessionAsync(new NewSession { Id = "s" });
        using (Lock())
        {
            // No session can be checked while spooling; this one does not exist.
            Assert.True((await ledger.LogMessageAsync("ghost", Agent("g1"))).Spooled);
            Assert.True((await ledger.LogMessageAsync("s", Agent("ok"))).Spooled);
        }
        await DrainedAsync(ledger);
        Assert.Equal(1, Scalar("SELECT COUNT(*) FROM parley_messages WHERE id = 'ok'"));
        var rejected = await File.ReadAllTextAsync(DbPath + ".spool.rejected");
        Assert.Contains("\"session_id\":\"ghost\"", rejected, StringComparison.Ordinal);
        Assert.Contains("does not exist", rejected, StringComparison.Ordinal);
        FilePermissionTests.AssertOwnerOnly(DbPath + ".spool.rejected");
        var error = Assert.Single(await ledger.GetSystemEventsAsync(SystemEventLevel.Error), e => e.Event == "spooled_write_rejected");
        Assert.Equal(DbPath + ".spool.rejected", error.Detail!["kept_in"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_full_spool_refuses_writes_with_a_clear_error_and_loses_none_it_took()
    {
        await using var ledger = await Ledger.OpenAsync(Options(maxBytes: 4096));
        await ledger.CreateSessionAsync(new NewSession { Id = "s" });
        var taken = new List<string>();
        SpoolFullException? full = null;
        using (Lock())
        {
            for (var i = 0; i < 100 && full is null; i++)
            {
                try
                {
                    Assert.True((await ledger.LogMessageAsync("s", Agent($"m{i}"))).Spooled);
                    taken.Add($"m{i}");
                }
                catch (SpoolFullException e)
                {
                    full = e;
                }
            }
        }
        Assert.NotNull(full);
        Assert.Contains("spool", full!.Message, StringComparison.Ordinal);
        Assert.Contains("full", full.Message, StringComparison.Ordinal);
        Assert.NotEmpty(taken);
        await DrainedAsync(ledger);
        Assert.Equal(taken.Count, Scalar("SELECT COUNT(*) FROM parley_messages"));
        // Writing goes straight to the database again.
        Assert.False((await ledger.LogMessageAsync("s", Agent("after"))).Spooled);
    }

    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
        return ValueTask.CompletedTask;
    }
}
