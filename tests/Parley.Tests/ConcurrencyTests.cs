namespace Parley.Tests;

/// <summary>Many callers at once: group commit must keep every rule and every count exact.</summary>
public abstract class ConcurrencyTests(string engine)
{
    [Fact]
    public async Task sixty_four_tasks_logging_and_reporting_at_once_leave_a_state_the_rules_explain()
    {
        await using var t = await TempLedger.OpenAsync(engine);
        var sessions = Enumerable.Range(0, 8).Select(i => $"s{i}").ToArray();
        foreach (var s in sessions) await t.NewSessionAsync(s);
        var t0 = new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero);
        var statuses = new[] { MessageStatus.Sending, MessageStatus.Sent, MessageStatus.Failed, MessageStatus.Delivered, MessageStatus.Read };

        var ids = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Task.WhenAll(Enumerable.Range(0, 64).Select(async worker =>
        {
            var rng = new Random(worker);
            for (var i = 0; i < 20; i++)
            {
                var session = sessions[rng.Next(sessions.Length)];
                var id = (await t.Ledger.LogMessageAsync(session, new NewMessage { SenderType = SenderType.System, Channel = "sms", Content = $"{worker}/{i}" })).Message.Id;
                var reports = statuses.OrderBy(_ => rng.Next()).Take(rng.Next(1, 5)).ToList();
                // Two tasks report on the same message at once, in opposite orders.
                await Task.WhenAll(
                    Task.Run(async () => { foreach (var s in reports) await t.Ledger.ReportStatusAsync(id, new StatusReport { Status = s, At = t0.AddSeconds((int)s), ErrorCode = s == MessageStatus.Failed ? "E" : null }); }),
                    Task.Run(async () => { foreach (var s in Enumerable.Reverse(reports)) await t.Ledger.ReportStatusAsync(id, new StatusReport { Status = s, At = t0.AddSeconds((int)s), ErrorCode = s == MessageStatus.Failed ? "E" : null }); }));
                ids.Add(id);
            }
        }));

        Assert.Equal(64 * 20, ids.Count);
        foreach (var id in ids.Take(200))
        {
            var m = (await t.Ledger.GetMessageAsync(id))!;
            var reported = m.Events!.Select(e => e.Status).Distinct().ToList();
            Assert.Equal(reported.MaxBy(Rank), m.Status);
            // Each report arrived twice; the second is always a duplicate, never a second event.
            Assert.Equal(reported.Count, m.Events!.Count);
            Assert.Equal(1, m.Events!.Count(e => e.Outcome == ReportOutcome.Applied && e.Status == m.Status));
        }

        // The data check agrees: every summary, summary count and status is what the rows and events give.
        var url = Internal.Kernel.DatabaseUrl.Parse(t.Url);
        Assert.Empty(Internal.Check.DataCheck.Run(url, repair: false));

        // Summaries equal the real counts.
        long total = 0;
        foreach (var s in sessions)
        {
            var summary = (await t.Ledger.GetSessionAsync(s))!.Summary;
            Assert.Equal(t.Scalar($"SELECT count(*) FROM parley_messages WHERE session_id = '{s}'"), summary.MessageCount);
            Assert.Equal(summary.MessageCount, summary.StatusCounts.Values.Sum());
            foreach (var (status, n) in summary.StatusCounts)
                Assert.Equal(t.Scalar($"SELECT count(*) FROM parley_messages WHERE session_id = '{s}' AND status = '{status}'"), n);
            Assert.Equal(summary.MessageCount, t.Scalar($"SELECT max(session_seq) FROM parley_messages WHERE session_id = '{s}'"));
            total += summary.MessageCount;
        }
        Assert.Equal(64 * 20, total);
    }

    private static int Rank(MessageStatus s) => s switch
    {
        MessageStatus.Pending => 0, MessageStatus.Sending => 1, MessageStatus.Sent => 2,
        MessageStatus.Failed => 3, MessageStatus.Delivered => 4, MessageStatus.Read => 5, _ => -1,
    };

    [Fact]
    public async Task concurrent_repeats_of_one_idempotency_key_store_one_message()
    {
        await using var t = await TempLedger.OpenAsync(engine);
        await t.NewSessionAsync("s");
        var results = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => Task.Run(() =>
            t.Ledger.LogMessageAsync("s", new NewMessage { SenderType = SenderType.User, Content = $"attempt {i}", IdempotencyKey = $"key-{i % 5}" }))));
        Assert.Equal(5, results.Count(r => r.Created));
        Assert.Equal(5, results.Select(r => r.Message.Id).Distinct().Count());
        Assert.Equal(5, t.Scalar("SELECT count(*) FROM parley_messages"));
        Assert.Equal(5, (await t.Ledger.GetSessionAsync("s"))!.Summary.MessageCount);
        Assert.Equal(5, (await t.Ledger.GetSessionAsync("s"))!.Summary.UnreadForAgent);
    }

    // Another connection holds an uncommitted row in the session with the position the ledger is about to give its
    // third message (something only a foreign writer could do): the ledger cannot see it, writes its session update and
    // summary counts, and its insert waits; once the other commits, the insert fails as a duplicate. On a server engine
    // that failure happens inside the statements that end with the COMMIT, which must then not run: the session
    // update and counts written before the insert vanish with it.
    [Fact]
    public async Task a_transaction_failing_in_its_last_writes_commits_none_of_them()
    {
        await using var t = await TempLedger.OpenAsync(engine);
        await t.NewSessionAsync("a");
        using (var raw = t.Raw())
        {
            if (raw.State != System.Data.ConnectionState.Open) raw.Open();
            using var tx = raw.BeginTransaction();
            using (var cmd = raw.CreateCommand())
            {
                cmd.Transaction = tx;
                cmd.CommandText = "INSERT INTO parley_messages (id, session_id, session_seq, direction, sender_type, channel, content, status, created_at, updated_at) " +
                                  "VALUES ('foreign', 'a', 3, 'outbound', 'system', 'sms', 'raw', 'pending', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)";
                cmd.ExecuteNonQuery();
            }
            var call = t.Ledger.LogMessagesAsync("a", [.. new[] { "m-1", "m-2", "m-3" }.Select(id => new NewMessage { Id = id, SenderType = SenderType.System, Channel = "sms", Content = id })]);
            await UntilAnInsertWaitsAsync(t);
            tx.Commit();
            var error = await Record.ExceptionAsync(() => call);
            Assert.True(error is ParleyException or ParleyConflictException, error?.ToString());
        }
        Assert.Equal(0, (await t.Ledger.GetSessionAsync("a"))!.Summary.MessageCount);
        Assert.Equal(0, t.Scalar("SELECT count(*) FROM parley_messages WHERE session_id = 'a' AND id <> 'foreign'"));
        Assert.Equal(0, t.Scalar("SELECT count(*) FROM parley_session_facets WHERE session_id = 'a'"));

        // The writer goes on: the next write counts from where the session really is.
        await t.Ledger.LogMessageAsync("a", new NewMessage { SenderType = SenderType.System, Channel = "sms", Content = "next" });
        var session = (await t.Ledger.GetSessionAsync("a"))!;
        Assert.Equal(1, session.Summary.MessageCount);
        Assert.Equal(1, t.Scalar("SELECT count(*) FROM parley_messages WHERE session_id = 'a' AND session_seq = 1 AND content = 'next'"));
    }

    /// <summary>Waits until the server shows a connection to this database waiting for a lock: the ledger's writer,
    /// behind the other transaction's uncommitted row. SQLite shows no such wait to another connection; there the writer
    /// waits at its <c>BEGIN IMMEDIATE</c> for the other's write lock, and its insert fails the same way whether it
    /// began before the other committed or after.</summary>
    private async Task UntilAnInsertWaitsAsync(TempLedger t)
    {
        if (engine == TestDatabases.Sqlite) return;
        using var conn = t.Raw();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = engine == TestDatabases.Postgres
            ? "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            : "SELECT count(*) FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT' " +
              "AND trx_mysql_thread_id IN (SELECT ID FROM information_schema.PROCESSLIST WHERE DB = DATABASE())";
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture) == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the ledger's writer never waited for the other transaction");
            await Task.Delay(20);
        }
    }

    // Two writers (two ledgers, as two processes would be) log the same client message ids into two sessions at once.
    // Neither session's lock guards the other, so the loser may find the ids free, then fail on the unique index when
    // it inserts; it must still answer as a caller who came second does: a conflict, with nothing of its own written.
    [Fact]
    public async Task two_writers_racing_for_one_message_id_answer_the_loser_with_a_conflict()
    {
        await using var t = await TempLedger.OpenAsync(engine);
        await using var other = await Ledger.OpenAsync(new LedgerOptions { Database = t.Url, SpoolPath = Path.Combine(t.Directory, "other.spool") });
        await t.NewSessionAsync("a");
        await t.NewSessionAsync("b");
        var won = new Dictionary<string, int> { ["a"] = 0, ["b"] = 0 };
        for (var round = 0; round < 20; round++)
        {
            var r = round;
            var calls = new[] { ("a", t.Ledger), ("b", other) }.Select(async c =>
            {
                try
                {
                    await c.Item2.LogMessagesAsync(c.Item1, [.. Enumerable.Range(0, 20).Select(k => new NewMessage { Id = $"r{r}-{k}", SenderType = SenderType.System, Channel = "sms", Content = $"{r}/{k}" })]);
                    return c.Item1;
                }
                catch (ParleyConflictException)
                {
                    return null;
                }
            });
            var winners = (await Task.WhenAll(calls)).OfType<string>().ToList();
            Assert.Single(winners);
            won[winners[0]]++;
        }
        Assert.Equal(400, t.Scalar("SELECT count(*) FROM parley_messages"));
        foreach (var (session, rounds) in won)
        {
            Assert.Equal(20 * rounds, (await t.Ledger.GetSessionAsync(session))!.Summary.MessageCount);
            Assert.Equal(20 * rounds, t.Scalar($"SELECT count(*) FROM parley_messages WHERE session_id = '{session}'"));
        }
    }

    [Fact]
    public async Task one_callers_mistake_in_a_shared_commit_fails_only_that_caller()
    {
        await using var t = await TempLedger.OpenAsync(engine);
        await t.NewSessionAsync("s");
        var tasks = Enumerable.Range(0, 200).Select(i => Task.Run(() =>
            t.Ledger.LogMessageAsync(i % 10 == 0 ? "missing" : "s", new NewMessage { SenderType = SenderType.User, Content = $"{i}" }))).ToList();
        await Task.WhenAll(tasks.Select(async task => { try { await task; } catch (ParleyNotFoundException) { } }));
        Assert.Equal(20, tasks.Count(x => x.IsFaulted));
        Assert.Equal(180, t.Scalar("SELECT count(*) FROM parley_messages"));
    }

    [Fact]
    public async Task concurrent_callers_share_commits_and_the_statistics_count_them()
    {
        await using var t = await TempLedger.OpenAsync(engine);
        await t.NewSessionAsync("s");
        var before = t.Ledger.WriterStatistics;
        await Task.WhenAll(Enumerable.Range(0, 500).Select(i => Task.Run(() =>
            t.Ledger.LogMessageAsync("s", new NewMessage { SenderType = SenderType.User, Content = $"{i}" }))));
        var after = t.Ledger.WriterStatistics;
        Assert.Equal(500, after.CallsCommitted - before.CallsCommitted);
        // Group commit: 500 concurrent calls need far fewer than 500 transactions.
        Assert.True(after.Commits - before.Commits < 500, $"{after.Commits - before.Commits} commits for 500 calls");
        Assert.Equal(0, after.QueueDepth);
    }
}

[Trait("Engine", "sqlite")]
public sealed class ConcurrencyTestsOnSqlite() : ConcurrencyTests(TestDatabases.Sqlite);

[Trait("Engine", "postgres")]
public sealed class ConcurrencyTestsOnPostgres() : ConcurrencyTests(TestDatabases.Postgres);

[Trait("Engine", "mysql")]
public sealed class ConcurrencyTestsOnMySql() : ConcurrencyTests(TestDatabases.MySql);
