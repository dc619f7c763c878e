using System.Data.Common;
using System.Globalization;

namespace Parley.Tests;

/// <summary>Another connection (a second Parley process, say) and the writer lock the same two messages in opposite
/// orders; PostgreSQL ends the deadlock by aborting the writer's transaction. The writer must see the error that says
/// "retry" (40P01), roll back and run the batch again, and the caller sees success, never "the write could not be
/// committed" (docs/reliability.md).</summary>
[Trait("Engine", "postgres")]
public class DeadlockTests
{
    [Fact]
    public async Task a_report_batch_that_loses_a_deadlock_is_retried_and_applied()
    {
        await using var t = await TempLedger.OpenAsync(TestDatabases.Postgres);
        await t.NewSessionAsync("s");
        await t.Ledger.LogMessagesAsync("s", [.. new[] { 1, 2 }.Select(i => new NewMessage
        {
            Id = $"m{i}", SenderType = SenderType.System, Channel = "sms", Content = $"code {i}", ProviderMessageId = $"p{i}",
        })]);

        using var other = t.Raw();
        // The other connection waits longer than the writer before it looks for a deadlock, so the writer is the one
        // PostgreSQL aborts.
        TestDatabases.Exec(other, "SET deadlock_timeout = '60s'");
        TestDatabases.Exec(other, "BEGIN");
        TestDatabases.Exec(other, "SELECT 1 FROM parley_messages WHERE id = 'm2' FOR UPDATE");

        var at = new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);
        var reporting = t.Ledger.ReportStatusesAsync([.. new[] { 1, 2 }.Select(i => new KeyedStatusReport
        {
            Report = new StatusReport { ProviderMessageId = $"p{i}", Channel = "sms", Status = MessageStatus.Delivered, At = at },
        })]);

        // The writer's read of both messages has locked m1 and waits for m2.
        using var observer = t.Raw();
        while (Count(observer, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%FOR UPDATE%'") == 0)
        {
            Assert.False(reporting.IsCompleted, "the report batch finished without waiting for the other connection's lock");
            await Task.Delay(10);
        }
        TestDatabases.Exec(observer, "BEGIN");
        var held = Assert.Throws<Npgsql.PostgresException>(() => TestDatabases.Exec(observer, "SELECT 1 FROM parley_messages WHERE id = 'm1' FOR UPDATE NOWAIT"));
        Assert.Equal("55P03", held.SqlState);
        TestDatabases.Exec(observer, "ROLLBACK");

        // Closing the cycle: this waits until PostgreSQL has aborted the writer's transaction and released m1.
        TestDatabases.Exec(other, "SELECT 1 FROM parley_messages WHERE id = 'm1' FOR UPDATE");
        TestDatabases.Exec(other, "COMMIT");

        var results = await reporting;
        Assert.All(results, r => Assert.Null(r.Error));
        Assert.All(results, r => Assert.Equal(ReportOutcome.Applied, r.Outcome));
        foreach (var id in new[] { "m1", "m2" }) Assert.Equal(MessageStatus.Delivered, (await t.Ledger.GetMessageAsync(id))!.Status);
        // The lost deadlock was a transient error the writer recovered from; it records that once a later write commits.
        await t.Ledger.LogMessageAsync("s", new NewMessage { SenderType = SenderType.System, Content = "later" });
        Assert.Contains(await t.Ledger.GetSystemEventsAsync(), e => e.Source == "writer" && e.Event == "transient_error_recovered");
    }

    private static long Count(DbConnection conn, string sql)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
    }
}
