using System.Diagnostics;

namespace Parley.Bench;

/// <summary>Durable messages per second through the ledger, the way applications call it.</summary>
internal static class ParleyScenarios
{
    /// <summary>The database a scenario writes to: a directory (SQLite, a file in it) or a server database URL.</summary>
    private static string Url(string target) => target.Contains("://", StringComparison.Ordinal) ? target : "sqlite:" + Path.Combine(target, "parley.db");

    private static async Task<Ledger> Open(string target)
    {
        var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = Url(target) });
        for (var s = 0; s < Workload.Sessions; s++)
            await ledger.CreateSessionAsync(new NewSession { Id = $"s{s}", Kind = "bulk_send" });
        return ledger;
    }

    /// <summary>(a) Logging in calls of 1,000 messages; each caller awaits its call before making the next.</summary>
    public static async Task<TimeSpan> BatchLog(string dir, int rows, int callers)
    {
        await using var ledger = await Open(dir);
        var next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(c => Task.Run(async () =>
        {
            int call;
            while ((call = Interlocked.Increment(ref next)) < rows / 1000)
            {
                var batch = Enumerable.Range(call * 1000, 1000).Select(i => Workload.Message(i)).ToList();
                await ledger.LogMessagesAsync($"s{call % Workload.Sessions}", batch);
            }
        })));
        return watch.Elapsed;
    }

    /// <summary>(b) Many callers each logging one message at a time, awaiting each commit.</summary>
    public static async Task<TimeSpan> ConcurrentLog(string dir, int rows, int callers)
    {
        await using var ledger = await Open(dir);
        var next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(c => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < rows)
                await ledger.LogMessageAsync($"s{i % Workload.Sessions}", Workload.Message(i));
        })));
        var elapsed = watch.Elapsed;
        var stats = ledger.WriterStatistics;
        Console.Error.WriteLine($"  {callers} callers: {stats.CallsPerCommit:N0} calls per commit, writer busy {stats.CommitTime / elapsed:P0} of the time");
        return elapsed;
    }

    /// <summary>(c) Status reports: many callers each reporting one message delivered, or batches of 1,000.</summary>
    public static async Task<TimeSpan> Reports(string dir, int rows, int callers, bool batched)
    {
        await using var ledger = await Open(dir);
        var ids = new List<string>(rows);
        for (var done = 0; done < rows; done += 1000)
        {
            var batch = Enumerable.Range(done, 1000).Select(i => Workload.Message(i)).ToList();
            ids.AddRange((await ledger.LogMessagesAsync($"s{done / 1000 % Workload.Sessions}", batch)).Select(m => m.Message.Id));
        }

        var watch = Stopwatch.StartNew();
        if (batched)
        {
            foreach (var chunk in ids.Chunk(1000))
                await ledger.ReportStatusesAsync([.. chunk.Select(id => new KeyedStatusReport { MessageId = id, Report = new StatusReport { Status = MessageStatus.Delivered } })]);
        }
        else
        {
            var next = -1;
            await Task.WhenAll(Enumerable.Range(0, callers).Select(c => Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < ids.Count)
                    await ledger.ReportStatusAsync(ids[i], new StatusReport { Status = MessageStatus.Delivered });
            })));
        }
        return watch.Elapsed;
    }
}
