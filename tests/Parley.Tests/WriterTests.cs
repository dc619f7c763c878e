using Microsoft.Extensions.Time.Testing;

namespace Parley.Tests;

/// <summary>The write path under another process's lock, and its durability settings.</summary>
public class WriterTests
{
    [Fact]
    public async Task a_write_blocked_by_another_connections_lock_is_retried_and_recorded()
    {
        // A short busy timeout makes SQLite give up quickly (after Microsoft.Data.Sqlite's own one-second minimum),
        // so the writer's retries with backoff do the rest of the waiting. Whether it has retried long enough to spool
        // (SpoolAfter, 2 s) is measured on the ledger's clock, which this test holds still: the write cannot be spooled,
        // however slowly the machine runs.
        var clock = new FakeTimeProvider();
        var log = new CapturedLog();
        using var loggers = log.Factory();
        await using var t = await TempLedger.OpenAsync(o =>
        {
            o.BusyTimeout = TimeSpan.FromMilliseconds(20);
            o.TimeProvider = clock;
            o.LoggerFactory = loggers;
        });
        await t.NewSessionAsync("s");
        using (var other = t.Raw())
        {
            using var begin = other.CreateCommand();
            begin.CommandText = "BEGIN IMMEDIATE";
            begin.ExecuteNonQuery();
            var write = t.Ledger.LogMessageAsync("s", new NewMessage { SenderType = SenderType.User, Content = "waits" });
            await log.WhenLogged(m => m.StartsWith("Transient database error, retry", StringComparison.Ordinal)).WaitAsync(TimeSpan.FromSeconds(60));
            // Retrying while the lock is held (ten backoffs of up to 2 s before it would give up): neither stored nor spooled.
            Assert.False(write.IsCompleted);
            using var commit = other.CreateCommand();
            commit.CommandText = "COMMIT";
            commit.ExecuteNonQuery();
            // The next retry, after its backoff on real time, finds the lock gone.
            var logged = await write.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(logged.Created);
            Assert.False(logged.Spooled);
        }
        Assert.Equal(1, t.Scalar("SELECT count(*) FROM parley_messages"));
        // The recovery is recorded as a system event once the writer is free again.
        await t.Ledger.LogMessageAsync("s", new NewMessage { SenderType = SenderType.User, Content = "after" });
        var events = await t.Ledger.GetSystemEventsAsync(SystemEventLevel.Warning);
        Assert.Contains(events, e => e.Source == "writer" && e.Event == "transient_error_recovered");
    }

    [Fact]
    public async Task a_transient_error_on_a_clock_nobody_moves_is_retried_until_the_write_is_stored()
    {
        // The hang that took the TimeProvider work out (98b47cd): on a fake clock the test never moved, another
        // connection's brief write lock sent the writer into its retry backoff, and the backoff waited on that clock for
        // ever. The backoff waits for the database, so it runs on real time whatever the ledger's clock does.
        var clock = new FakeTimeProvider();
        var frozenAt = clock.GetUtcNow();
        var log = new CapturedLog();
        using var loggers = log.Factory();
        await using var t = await TempLedger.OpenAsync(o =>
        {
            o.BusyTimeout = TimeSpan.FromMilliseconds(20);
            o.TimeProvider = clock;
            o.LoggerFactory = loggers;
        });
        await t.NewSessionAsync("s");
        Task<LoggedMessage[]> writes;
        using (TestDatabases.LockSqlite(t.Path))
        {
            writes = Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
                t.Ledger.LogMessageAsync("s", new NewMessage { SenderType = SenderType.User, Content = $"behind the lock {i}" })));
            // The first attempt has failed on the lock: the writer is in its backoff when the lock goes.
            await log.WhenLogged(m => m.StartsWith("Transient database error, retry", StringComparison.Ordinal)).WaitAsync(TimeSpan.FromSeconds(60));
        }
        var stored = await Task.WhenAny(writes, Task.Delay(TimeSpan.FromSeconds(60))) == writes;
        // A backoff on the ledger's clock would end only when the clock moves: move it, so the ledger can close and this
        // fails instead of hanging.
        if (!stored) clock.Advance(TimeSpan.FromMinutes(1));
        Assert.True(stored, "the writes behind a released lock did not finish in 60 s: the retry's backoff waits on the ledger's clock, which nobody moves");
        Assert.All(await writes, l => Assert.True(l.Created && !l.Spooled));
        Assert.Equal(8, t.Scalar("SELECT count(*) FROM parley_messages"));
        // The recovery is recorded once the writer is free again, and the clock never moved.
        await t.Ledger.LogMessageAsync("s", new NewMessage { SenderType = SenderType.User, Content = "after" });
        Assert.Contains(await t.Ledger.GetSystemEventsAsync(SystemEventLevel.Warning), e => e.Source == "writer" && e.Event == "transient_error_recovered");
        Assert.Equal(frozenAt, clock.GetUtcNow());
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
        for (var i = 0; i < 5; i++)
            await t.Ledger.LogMessagesAsync("s", LargeMessages(1000));
        // The writer never checkpoints (wal_autocheckpoint = 0); only the background checkpointer can grow the file.
        Assert.Equal(0L, await t.Ledger.ReadWriterPragmaAsync("wal_autocheckpoint"));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (new FileInfo(t.Path).Length < before + 5_000_000 && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.True(new FileInfo(t.Path).Length >= before + 5_000_000, $"database file still {new FileInfo(t.Path).Length} bytes");
    }

    [Fact]
    public async Task the_wal_is_restarted_while_writers_never_pause()
    {
        // Four callers keep the writer busy without a break, so the background PASSIVE checkpoints never catch up and
        // only a restart (asked of the writer between two commits) keeps the WAL from growing with every write.
        await using var t = await TempLedger.OpenAsync();
        await t.NewSessionAsync("s");
        var walPath = t.Path + "-wal";
        long peak = 0, written = 0;
        using var stop = new CancellationTokenSource();
        var watch = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var wal = new FileInfo(walPath);
                if (wal.Exists) peak = Math.Max(peak, wal.Length);
                await Task.Delay(10);
            }
        });
        // ~2.3 KiB a message before indexes: 128 batches of 1,000 write over 300 MiB of WAL frames.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (var b = 0; b < 32; b++)
            {
                await t.Ledger.LogMessagesAsync("s", LargeMessages(1000));
                Interlocked.Add(ref written, 1000L * LargeContent.Length);
            }
        })));
        await stop.CancelAsync();
        await watch;
        Assert.True(written > 240L << 20, $"only {written} bytes of content written");
        // Restarts happen past 16 MiB, once the checkpointer has seen it and synced the database file; on a loaded
        // machine the file overshoots a little before SQLite cuts it back to 64 MiB. Without the writer's restarts it
        // grows with everything written through it (the checkpointer's own fallback comes only after 5 s).
        Assert.True(peak < written / 2, $"the WAL reached {peak >> 20} MiB while {written >> 20} MiB of content was written");
    }

    [Fact]
    public async Task the_checkpointer_can_sync_the_database_file_through_sqlite()
    {
        // The head start that keeps the writer's WAL restarts short (SqliteCheckpointer) calls the file's xSync in the
        // bundled e_sqlite3; if that stopped resolving, restarts would quietly go back to 20-30 ms pauses.
        await using var t = await TempLedger.OpenAsync();
        await t.NewSessionAsync("s");
        using var conn = (Microsoft.Data.Sqlite.SqliteConnection)t.Raw();
        Assert.True(Parley.Internal.Sqlite.SqliteFileSync.TrySync(conn.Handle!));
    }

    [Fact]
    public async Task a_reader_holding_an_old_snapshot_neither_stops_the_writer_nor_keeps_the_wal_long()
    {
        // While a reader holds a snapshot the WAL cannot be restarted: the writer's attempts give up at once, the
        // checkpointer's fallback waits only briefly, and writes go on. Once the reader is done, the WAL restarts.
        // The checkpointer's schedule runs on the ledger's clock, which this test moves on between batches. The writer
        // waits at most 2 s for a lock: behind a RESTART that waited for the reader as long as the old 5 s busy timeout,
        // a write would fail on the lock and be retried.
        var clock = new FakeTimeProvider();
        var log = new CapturedLog();
        using var loggers = log.Factory();
        await using var t = await TempLedger.OpenAsync(o =>
        {
            o.TimeProvider = clock;
            o.LoggerFactory = loggers;
            o.BusyTimeout = TimeSpan.FromSeconds(2);
        });
        await t.NewSessionAsync("s");
        var walPath = t.Path + "-wal";
        Task Batch() => t.Ledger.LogMessagesAsync("s", LargeMessages(500)).WaitAsync(TimeSpan.FromSeconds(60));
        int Logged(string start) => log.Entries.Count(e => e.Message.StartsWith(start, StringComparison.Ordinal));
        const string restarting = "The WAL is past its ceiling", gaveUp = "Readers kept the WAL from being restarted", retried = "Transient database error";
        // Past the ceiling first (16 MiB), so that a restart is due while the reader holds on.
        for (var i = 0; i < 20; i++) await Batch();
        var duringRead = 0;
        var behindRestart = false;
        long grown;
        using (var reader = t.Raw())
        {
            using var begin = reader.CreateCommand();
            begin.CommandText = "BEGIN";
            begin.ExecuteNonQuery();
            using var read = reader.CreateCommand();
            read.CommandText = "SELECT count(*) FROM parley_messages";
            read.ExecuteScalar();
            // Writes go on while the reader holds its snapshot, the clock moving on past the checkpointer's grace period
            // (5 s) at each step, so that it restarts the WAL itself and waits for the reader. One write is made while that
            // RESTART holds the write lock; the rest go on until the WAL has grown well past what it is cut back to.
            while (duringRead < 200 && !(behindRestart && duringRead >= 20 && new FileInfo(walPath).Length > 64L << 20))
            {
                await Batch();
                duringRead++;
                var restarts = Logged(restarting);
                var started = log.WhenLogged(m => m.StartsWith(restarting, StringComparison.Ordinal), restarts + 1);
                // FakeTimeProvider fires the checkpointer's timer, and so runs its pass, on the thread that moves the
                // clock: another one than this, which writes behind that pass's RESTART. Not behind the first: until
                // then the writer may still be restarting the WAL after its commit (on its own connection, at once).
                var tick = Task.Run(() => clock.Advance(TimeSpan.FromSeconds(6)));
                if (!behindRestart && restarts > 0 && await Task.WhenAny(started, tick) == started &&
                    await WriteLockTakenAsync(t.Path, until: () => Logged(gaveUp) > restarts))
                {
                    var write = Batch();
                    var retry = log.WhenLogged(m => m.StartsWith(retried, StringComparison.Ordinal));
                    Assert.True(await Task.WhenAny(write, retry) == write,
                        "a write behind the checkpointer's RESTART failed on the lock and was retried: that RESTART held the write lock while it waited for the reader");
                    await write;
                    behindRestart = true;
                    duringRead++;
                }
                await tick;
            }
            grown = new FileInfo(walPath).Length;
            using var end = reader.CreateCommand();
            end.CommandText = "COMMIT";
            end.ExecuteNonQuery();
        }
        Assert.True(behindRestart, $"no write was made behind the checkpointer's own RESTART over {duringRead} batches while the reader held its snapshot " +
                                   $"({Logged(restarting)} restarts begun, {Logged(gaveUp)} given up)");
        Assert.True(grown > 64L << 20, $"the WAL held only {grown >> 20} MiB while the reader held its snapshot: the test did not hold it back");
        // Every write while the reader held on went through at its first attempt.
        Assert.Equal(0, Logged(retried));

        // Once the WAL has restarted, SQLite cuts the file back to 64 MiB at the next write that starts it over.
        for (var i = 0; i < 100 && new FileInfo(walPath).Length > 64L << 20; i++)
        {
            await Batch();
            clock.Advance(TimeSpan.FromMilliseconds(500));
        }
        var after = new FileInfo(walPath).Length;
        Assert.True(after <= 64L << 20, $"the WAL is still {after >> 20} MiB 100 batches after the reader finished (it had reached {grown >> 20} MiB)");
    }

    /// <summary>Whether another connection takes the database's write lock while this test's writer is idle (true), or
    /// <paramref name="until"/> holds first (false): it looks the way another process would, with a
    /// <c>BEGIN IMMEDIATE</c> that does not wait.</summary>
    private static async Task<bool> WriteLockTakenAsync(string path, Func<bool> until)
    {
        using var probe = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False");
        probe.Open();
        TestDatabases.Exec(probe, "PRAGMA busy_timeout = 0");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!until())
        {
            if (SQLitePCL.raw.sqlite3_exec(probe.Handle, "BEGIN IMMEDIATE") == SQLitePCL.raw.SQLITE_BUSY) return true;
            SQLitePCL.raw.sqlite3_exec(probe.Handle, "ROLLBACK");
            Assert.True(DateTime.UtcNow < deadline, "the checkpointer said it was restarting the WAL, but neither took the write lock nor gave up");
            await Task.Delay(1);
        }
        return false;
    }

    /// <summary>The WAL tests' messages: 2,000 characters of content each, so that a few batches move megabytes.</summary>
    private static readonly string LargeContent = new('x', 2000);

    private static List<NewMessage> LargeMessages(int count) =>
        [.. Enumerable.Range(0, count).Select(_ => new NewMessage { SenderType = SenderType.User, Content = LargeContent })];
}
