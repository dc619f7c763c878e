namespace Parley.Tests;

/// <summary>Reads are admitted up to <see cref="LedgerOptions.MaxConcurrentReads"/> and run on the ledger's reader
/// threads, below the writer's priority, and the caller continues off those threads (docs/architecture.md, "Reads
/// beside the writer"). Waiting for admission is cancellable (<see cref="ReadCancellationTests"/>).</summary>
public class ReadAdmissionTests
{
    [Fact]
    public async Task reads_are_admitted_up_to_the_limit_and_the_caller_continues_off_the_reader_threads()
    {
        await using var t = await TempLedger.OpenAsync(o => o.MaxConcurrentReads = 2);
        await t.Ledger.CreateSessionAsync(new NewSession { Id = "s" });
        // Off the test framework's context, where a continuation could run on whichever thread completed the read.
        await Task.Run(async () =>
        {
            using (await t.Ledger.HoldReadAdmissionAsync())
            {
                // One of two admissions is held: a read still runs.
                Assert.Equal("s", (await t.Ledger.GetSessionAsync("s"))!.Id);
                Assert.NotEqual("parley-reader", Thread.CurrentThread.Name);
            }
            var pages = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => t.Ledger.GetTranscriptAsync("s")));
            Assert.All(pages, p => Assert.Empty(p.Items));
            Assert.NotEqual("parley-reader", Thread.CurrentThread.Name);
        });
    }

    [Fact]
    public async Task the_read_limit_is_at_least_one_and_defaults_to_half_the_cores()
    {
        Assert.Equal(Math.Max(1, Environment.ProcessorCount / 2), new LedgerOptions().MaxConcurrentReads);
        Assert.Equal(new LedgerOptions().MaxConcurrentReads, LedgerOptions.DefaultMaxConcurrentReads);
        var dir = Path.Combine(Path.GetTempPath(), "parley-tests", Guid.NewGuid().ToString("N"));
        var e = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            Ledger.OpenAsync(new LedgerOptions { Database = "sqlite:" + Path.Combine(dir, "parley.db"), MaxConcurrentReads = 0 }));
        Assert.Contains("MaxConcurrentReads", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public async Task reads_run_on_reader_threads_whose_priority_is_lowered()
    {
        await using var t = await TempLedger.OpenAsync(o => o.MaxConcurrentReads = 1);
        await t.Ledger.CreateSessionAsync(new NewSession { Id = "s" });
        Assert.Equal("s", (await t.Ledger.GetSessionAsync("s"))!.Id);
        if (!OperatingSystem.IsLinux()) return;
        // /proc/self/task/<tid>/stat: the 19th field is the thread's nice value (after the name in parentheses).
        var readers = Directory.GetDirectories("/proc/self/task")
            .Where(d => File.Exists(Path.Combine(d, "comm")) && File.ReadAllText(Path.Combine(d, "comm")).Trim() == "parley-reader")
            .Select(d => File.ReadAllText(Path.Combine(d, "stat")))
            .Select(stat => int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[16], System.Globalization.CultureInfo.InvariantCulture))
            .ToList();
        // Other tests' ledgers may have reader threads that have only just started; this ledger's has run a read.
        Assert.Contains(readers, nice => nice >= 10);
    }
}
