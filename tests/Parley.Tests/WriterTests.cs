namespace Parley.Tests;

/// <summary>The write path under another process's lock, and its durability settings.</summary>
public class WriterTests
{
    [Fact]
    public async Task a_write_blocked_by_another_connections_lock_is_retried_and_recorded()
    {
        // A short busy timeout makes SQLite give up quickly (after Microsoft.Data.Sqlite's own one-second minimum),
        // so the writer's retries with backoff do the rest of the waiting.
        await using var t = await TempLedger.OpenAsync(o => o.BusyTimeout = TimeSpan.FromMilliseconds(20));
        await t.NewSessionAsync("s");
        using (var other = t.Raw())
        {
            using var begin = other.CreateCommand();
            begin.CommandText = "BEGIN IMMEDIATE";
            begin.ExecuteNonQuery();
            var write = t.Ledger.LogMessageAsync("s", new NewMessage { SenderType = SenderType.User, Content = "waits" });
            await Task.Delay(1500);
            Assert.False(write.IsCompleted);
            using var commit = other.CreateCommand();
            commit.CommandText = "COMMIT";
            commit.ExecuteNonQuery();
            var logged = await write;
            Assert.True(logged.Created);
        }
        Assert.Equal(1, t.Scalar("SELECT count(*) FROM parley_messages"));
        // The recovery is recorded as a system event once the writer is free again.
        await t.Ledger.LogMessageAsync("s", new NewMessage { SenderType = SenderType.User, Content = "after" });
        var events = await t.Ledger.GetSystemEventsAsync(SystemEventLevel.Warning);
        Assert.Contains(events, e => e.Source == "writer" && e.Event == "transient_error_recovered");
    }

    [Theory]
    [InlineData(SqliteSynchronous.Full, 2)]
    [InlineData(SqliteSynchronous.Normal, 1)]
    public async Task the_database_runs_in_wal_with_the_configured_synchronous_mode(SqliteSynchronous mode, long expected)
    {
        await using var t = await TempLedger.OpenAsync(o => o.Synchronous = mode);
        Assert.Equal("wal", t.ScalarText("PRAGMA journal_mode"));
        // synchronous is a per-connection setting: read it on the writer's own connection.
        Assert.Equal(expected, await t.Ledger.ReadWriterPragmaAsync("synchronous"));
    }

    [Fact]
    public async Task closing_commits_every_queued_write_first()
    {
        var t = await TempLedger.OpenAsync();
        await t.NewSessionAsync("s");
        var pending = Enumerable.Range(0, 500).Select(i => t.Ledger.LogMessageAsync("s", new NewMessage { SenderType = SenderType.User, Content = $"{i}" })).ToList();
        await t.Ledger.DisposeAsync();
        await Task.WhenAll(pending);
        // A clean close leaves no WAL behind: everything is in the database file.
        Assert.False(File.Exists(t.Path + "-wal"), "the WAL is still there after a clean close");
        Assert.Equal(500, t.Scalar("SELECT count(*) FROM parley_messages"));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => t.Ledger.LogMessageAsync("s", new NewMessage { SenderType = SenderType.User, Content = "late" }));
        Directory.Delete(t.Directory, true);
    }

    [Fact]
    public async Task the_wal_is_checkpointed_in_the_background_while_the_ledger_is_open()
    {
        await using var t = await TempLedger.OpenAsync();
        await t.NewSessionAsync("s");
        var before = new FileInfo(t.Path).Length;
        var content = new string('x', 2000);
        for (var i = 0; i < 5; i++)
            await t.Ledger.LogMessagesAsync("s", [.. Enumerable.Range(0, 1000).Select(_ => new NewMessage { SenderType = SenderType.User, Content = content })]);
        // The writer never checkpoints (wal_autocheckpoint = 0); only the background checkpointer can grow the file.
        Assert.Equal(0L, await t.Ledger.ReadWriterPragmaAsync("wal_autocheckpoint"));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (new FileInfo(t.Path).Length < before + 5_000_000 && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.True(new FileInfo(t.Path).Length >= before + 5_000_000, $"database file still {new FileInfo(t.Path).Length} bytes");
    }
}
