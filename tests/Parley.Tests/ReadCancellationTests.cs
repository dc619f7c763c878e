namespace Parley.Tests;

/// <summary>Reads are asynchronous and honour their cancellation token: a read waiting on a lock another connection
/// holds stops when cancelled (the server cancels the query), and the ledger reads normally afterwards. So does a read
/// waiting for admission (<see cref="LedgerOptions.MaxConcurrentReads"/>).</summary>
public class ReadCancellationTests
{
    [EngineTheory]
    [MemberData(nameof(TestDatabases.Servers), MemberType = typeof(TestDatabases))]
    public async Task a_read_blocked_by_a_lock_stops_when_cancelled(string engine)
    {
        using var db = new EngineDatabase(engine);
        await using var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = db.Url });
        await ledger.CreateSessionAsync(new NewSession { Id = "s" });

        await using var locker = TestDatabases.Open(db.Url);
        TestDatabases.Exec(locker, engine == TestDatabases.Postgres
            ? "BEGIN; LOCK TABLE parley_sessions IN ACCESS EXCLUSIVE MODE"
            : "LOCK TABLES parley_sessions WRITE");
        using var cancel = new CancellationTokenSource();
        var read = ledger.GetSessionAsync("s", cancel.Token);
        await WaitUntilWaitingOnTheLock(db, engine);
        Assert.False(read.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);

        TestDatabases.Exec(locker, engine == TestDatabases.Postgres ? "COMMIT" : "UNLOCK TABLES");
        Assert.Equal("s", (await ledger.GetSessionAsync("s"))!.Id);
        Assert.Single((await ledger.ListSessionsAsync()).Items);
    }

    // The server says the read's query is waiting for the table lock (polled, up to 30 s).
    private static async Task WaitUntilWaitingOnTheLock(EngineDatabase db, string engine)
    {
        var sql = engine == TestDatabases.Postgres
            ? "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%FROM parley_sessions%'"
            : "SELECT count(*) FROM information_schema.processlist WHERE state LIKE 'Waiting for table%' AND info LIKE '%FROM parley_sessions%'";
        var until = DateTime.UtcNow.AddSeconds(30);
        while (db.Scalar(sql) == 0)
        {
            Assert.True(DateTime.UtcNow < until, "the read never waited on the lock");
            await Task.Yield();
        }
    }

    [EngineTheory]
    [MemberData(nameof(TestDatabases.Servers), MemberType = typeof(TestDatabases))]
    public async Task a_read_waiting_for_admission_behind_a_blocked_read_stops_when_cancelled(string engine)
    {
        using var db = new EngineDatabase(engine);
        await using var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = db.Url, MaxConcurrentReads = 1 });
        await ledger.CreateSessionAsync(new NewSession { Id = "s" });

        await using var locker = TestDatabases.Open(db.Url);
        TestDatabases.Exec(locker, engine == TestDatabases.Postgres
            ? "BEGIN; LOCK TABLE parley_sessions IN ACCESS EXCLUSIVE MODE"
            : "LOCK TABLES parley_sessions WRITE");
        using var cancelBlocked = new CancellationTokenSource();
        var blocked = ledger.GetSessionAsync("s", cancelBlocked.Token);
        await WaitUntilWaitingOnTheLock(db, engine);
        // The one admission is taken: this read waits for it, and its cancellation ends the wait.
        using var cancelWaiting = new CancellationTokenSource();
        var waiting = ledger.GetTranscriptAsync("s", cancellationToken: cancelWaiting.Token);
        await Task.Delay(200);
        Assert.False(waiting.IsCompleted);
        await cancelWaiting.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.False(blocked.IsCompleted);

        await cancelBlocked.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => blocked);
        TestDatabases.Exec(locker, engine == TestDatabases.Postgres ? "COMMIT" : "UNLOCK TABLES");
        // Both admissions came back: reads run again, one after the other.
        Assert.Equal("s", (await ledger.GetSessionAsync("s"))!.Id);
        Assert.Empty((await ledger.GetTranscriptAsync("s")).Items);
    }

    [Fact]
    public async Task a_read_waiting_for_admission_stops_when_cancelled_and_runs_once_admitted()
    {
        await using var t = await TempLedger.OpenAsync(o => o.MaxConcurrentReads = 1);
        await t.Ledger.CreateSessionAsync(new NewSession { Id = "s" });
        var hold = await t.Ledger.HoldReadAdmissionAsync();

        using var cancel = new CancellationTokenSource();
        var cancelled = t.Ledger.GetTranscriptAsync("s", cancellationToken: cancel.Token);
        var admitted = t.Ledger.GetSessionAsync("s");
        await Task.Delay(200);
        Assert.False(cancelled.IsCompleted);
        Assert.False(admitted.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.False(admitted.IsCompleted);

        hold.Dispose();
        Assert.Equal("s", (await admitted)!.Id);
        // A tenant view shares the ledger's admissions.
        Task<Session?> viaView;
        using (await t.Ledger.HoldReadAdmissionAsync())
        {
            viaView = t.Ledger.ForTenant(null).GetSessionAsync("s");
            await Task.Delay(100);
            Assert.False(viaView.IsCompleted);
        }
        Assert.Equal("s", (await viaView)!.Id);
    }

    [Fact]
    public async Task a_read_given_a_cancelled_token_does_not_run()
    {
        await using var t = await TempLedger.OpenAsync();
        await t.Ledger.CreateSessionAsync(new NewSession { Id = "s" });
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => t.Ledger.GetSessionAsync("s", cancel.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => t.Ledger.GetTranscriptAsync("s", cancellationToken: cancel.Token));
        Assert.Equal("s", (await t.Ledger.GetSessionAsync("s"))!.Id);
    }
}
