using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Parley.Bench;

/// <summary>`readers [seconds] [rounds] [engine filter]`: 64 concurrent readers paging transcripts while 256 writers log
/// single chat messages, beside the same 256 writers alone, alternated in one process. Each phase gets a fresh database
/// holding the same seed (1,024 sessions of 200 messages), so that no phase writes into an index the phases before it
/// grew; the two orders alternate (ABBA) so that drift over a run falls on both sides. Only the public API is used.
/// SQLite always runs (a file in a temp directory); PostgreSQL and MySQL/MariaDB when PARLEY_BENCH_POSTGRES or
/// PARLEY_BENCH_MYSQL hold admin URLs, as for `engines`. The filter keeps the engines whose name contains it.</summary>
internal static class ReadersDriver
{
    private const int Sessions = 1024;
    private const int SeedPerSession = 200;
    private const int Writers = 256;
    private const int Readers = 64;
    private const int PageSize = 50;
    private const int PagesPerVisit = 4; // a reader opens a transcript at its newest page and scrolls back three more
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(3);
    private static readonly string Content = new string('x', 200) + " Thanks, that works for me. Could you also send the invoice for last month to my other address?";

    private sealed record Phase(double RowsPerSecond, double PagesPerSecond, double RowsPerPage, double WriteP50, double WriteP99,
        double PageP50, double PageP99, double CallsPerCommit, double WriterBusy, long MaxWalBytes);

    public static async Task<int> RunAsync(double seconds, int rounds, string? only)
    {
        List<(string Engine, string? Admin)> engines = [("sqlite", null)];
        foreach (var (engine, variable) in (ValueTuple<string, string>[])[("postgres", "PARLEY_BENCH_POSTGRES"), ("mysql", "PARLEY_BENCH_MYSQL")])
        {
            var admin = Environment.GetEnvironmentVariable(variable);
            if (!string.IsNullOrEmpty(admin)) engines.Add((engine, admin));
            else if (only is null || engine.Contains(only, StringComparison.Ordinal)) Console.Error.WriteLine($"{variable} is not set: skipping {engine}");
        }
        var duration = TimeSpan.FromSeconds(seconds);
        foreach (var (engine, admin) in engines.Where(e => only is null || e.Engine.Contains(only, StringComparison.Ordinal)))
        {
            Console.WriteLine($"# Parley readers beside writers on {engine}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, " +
                              $"{RuntimeInformation.OSDescription}, .NET {Environment.Version}, load average {LoadAverage()}");
            Console.WriteLine($"# {Writers} writers (LogMessageAsync, one chat message a call) into {Sessions:N0} sessions seeded with {SeedPerSession} messages each; " +
                              $"{Readers} readers (GetTranscriptAsync, {PageSize} a page, newest first, {PagesPerVisit} pages a visit); {seconds:N0} s measured after {WarmUp.TotalSeconds:N0} s");
            // One unmeasured phase with readers first: the process's first pass through both code paths (JIT, pools).
            await RunPhase(engine, admin, withReaders: true, duration / 4);
            var alone = new List<Phase>();
            var mixed = new List<Phase>();
            Console.WriteLine();
            Console.WriteLine("| round | order | writers alone: rows/s | with readers: rows/s | ratio | pages/s | write p99 alone / with (ms) | page p50 / p99 (ms) | calls per commit alone / with |");
            Console.WriteLine("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            for (var round = 1; round <= rounds; round++)
            {
                // ABBA: odd rounds measure writers alone first, even rounds with readers first.
                var aloneFirst = round % 2 == 1;
                Phase a, m;
                if (aloneFirst)
                {
                    a = await RunPhase(engine, admin, withReaders: false, duration);
                    m = await RunPhase(engine, admin, withReaders: true, duration);
                }
                else
                {
                    m = await RunPhase(engine, admin, withReaders: true, duration);
                    a = await RunPhase(engine, admin, withReaders: false, duration);
                }
                alone.Add(a);
                mixed.Add(m);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {round} | {(aloneFirst ? "alone, with" : "with, alone")} | {a.RowsPerSecond:N0} | {m.RowsPerSecond:N0} | {m.RowsPerSecond / a.RowsPerSecond:N2} | {m.PagesPerSecond:N0} | " +
                    $"{a.WriteP99:N1} / {m.WriteP99:N1} | {m.PageP50:N1} / {m.PageP99:N1} | {a.CallsPerCommit:N0} / {m.CallsPerCommit:N0} |"));
                if (engine == "sqlite")
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  round {round}: largest WAL alone {a.MaxWalBytes / 1048576.0:N1} MiB, with readers {m.MaxWalBytes / 1048576.0:N1} MiB; writer busy {a.WriterBusy:P0} / {m.WriterBusy:P0}; {m.RowsPerPage:N1} rows a page"));
            }
            double Median(IEnumerable<double> xs)
            {
                var s = xs.Order().ToList();
                return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
            }
            string Spread(IEnumerable<double> xs, string format) => $"{xs.Min().ToString(format, CultureInfo.InvariantCulture)}–{xs.Max().ToString(format, CultureInfo.InvariantCulture)}";
            var ratios = alone.Zip(mixed, (a, m) => m.RowsPerSecond / a.RowsPerSecond).ToList();
            var aloneMedian = Median(alone.Select(p => p.RowsPerSecond));
            var mixedMedian = Median(mixed.Select(p => p.RowsPerSecond));
            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Medians of {rounds} rounds: writers alone {aloneMedian:N0} rows/s ({Spread(alone.Select(p => p.RowsPerSecond), "N0")}), " +
                $"with readers {mixedMedian:N0} rows/s ({Spread(mixed.Select(p => p.RowsPerSecond), "N0")}) and {Median(mixed.Select(p => p.PagesPerSecond)):N0} pages/s " +
                $"({Spread(mixed.Select(p => p.PagesPerSecond), "N0")}); ratio of the medians {mixedMedian / aloneMedian:N2}, median of the rounds' ratios {Median(ratios):N2} " +
                $"({Spread(ratios, "N2")}): reads slow writes by {1 - Median(ratios):P0} (target: at most 15 %)."));
            Console.WriteLine();
        }
        return 0;
    }

    /// <summary>One phase on a fresh database: seed it, reopen the ledger, run the writers (and the readers) for a
    /// warm-up and then for <paramref name="duration"/>, counting only the measured window.</summary>
    private static async Task<Phase> RunPhase(string engine, string? admin, bool withReaders, TimeSpan duration)
    {
        var dir = engine == "sqlite" ? Workload.NewDirectory() : null;
        var url = dir is not null ? "sqlite:" + Path.Combine(dir, "parley.db") : EngineDriver.CreateDatabase(engine, admin!);
        try
        {
            await Seed(url);
            await using var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = url });
            using var stop = new CancellationTokenSource();
            var measuring = 0; // 1 inside the measured window: only then are latencies kept
            long written = 0, pages = 0, pageRows = 0;
            var writeLatencies = new List<double>[Writers];
            var pageLatencies = new List<double>[Readers];
            var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
            {
                var mine = writeLatencies[w] = [];
                // Each writer is one app's conversations: it logs into its own four sessions in turn, user and agent alternating.
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var started = Stopwatch.GetTimestamp();
                    await ledger.LogMessageAsync(SessionId(w + Writers * (i % (Sessions / Writers))), ChatMessage(i));
                    if (Volatile.Read(ref measuring) == 1) mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    Interlocked.Increment(ref written);
                }
            })).ToList();
            var readers = Enumerable.Range(0, withReaders ? Readers : 0).Select(r => Task.Run(async () =>
            {
                var mine = pageLatencies[r] = [];
                var random = new Random(r);
                while (!stop.IsCancellationRequested)
                {
                    var session = SessionId(random.Next(Sessions));
                    string? cursor = null;
                    for (var p = 0; p < PagesPerVisit && !stop.IsCancellationRequested; p++)
                    {
                        // SQLite's reads complete synchronously (Microsoft.Data.Sqlite has no asynchronous I/O): without
                        // this yield each reader would keep a pool thread to itself, where an app's readers are separate
                        // requests queued on the pool.
                        await Task.Yield();
                        var started = Stopwatch.GetTimestamp();
                        var page = await ledger.GetTranscriptAsync(session, new TranscriptQuery { Limit = PageSize, Descending = true, Cursor = cursor });
                        if (Volatile.Read(ref measuring) == 1) mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                        Interlocked.Increment(ref pages);
                        Interlocked.Add(ref pageRows, page.Items.Count);
                        if ((cursor = page.NextCursor) is null) break;
                    }
                }
            })).ToList();

            var walPath = dir is null ? null : Path.Combine(dir, "parley.db-wal");
            long maxWal = 0;
            await Task.Delay(WarmUp);
            var (w0, p0, r0, stats0) = (Interlocked.Read(ref written), Interlocked.Read(ref pages), Interlocked.Read(ref pageRows), ledger.WriterStatistics);
            Volatile.Write(ref measuring, 1);
            var window = Stopwatch.StartNew();
            while (window.Elapsed < duration)
            {
                await Task.Delay(100);
                if (walPath is not null && File.Exists(walPath)) maxWal = Math.Max(maxWal, new FileInfo(walPath).Length);
            }
            var (w1, p1, r1, stats1) = (Interlocked.Read(ref written), Interlocked.Read(ref pages), Interlocked.Read(ref pageRows), ledger.WriterStatistics);
            var elapsed = window.Elapsed;
            Volatile.Write(ref measuring, 0);
            await stop.CancelAsync();
            await Task.WhenAll([.. writers, .. readers]);

            var commits = stats1.Commits - stats0.Commits;
            var writes = Percentiles(writeLatencies);
            var reads = Percentiles(pageLatencies.Where(l => l is not null));
            return new Phase((w1 - w0) / elapsed.TotalSeconds, (p1 - p0) / elapsed.TotalSeconds, p1 == p0 ? 0 : (double)(r1 - r0) / (p1 - p0),
                writes.P50, writes.P99, reads.P50, reads.P99,
                commits == 0 ? 0 : (double)(stats1.CallsCommitted - stats0.CallsCommitted) / commits, (stats1.CommitTime - stats0.CommitTime) / elapsed, maxWal);
        }
        finally
        {
            if (dir is not null)
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                Directory.Delete(dir, recursive: true);
            }
            else EngineDriver.DropDatabase(engine, admin!, url);
        }
    }

    /// <summary>The seed every phase starts from, written through the ledger and closed again (on SQLite closing
    /// checkpoints the WAL away), so that each phase opens a database at rest.</summary>
    private static async Task Seed(string url)
    {
        await using var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = url });
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            int s;
            while ((s = Interlocked.Increment(ref next)) < Sessions)
            {
                await ledger.CreateSessionAsync(new NewSession { Id = SessionId(s), Kind = "chat" });
                await ledger.LogMessagesAsync(SessionId(s), [.. Enumerable.Range(0, SeedPerSession).Select(i => ChatMessage(i))]);
            }
        })));
    }

    private static string SessionId(int s) => $"chat{s}";

    private static NewMessage ChatMessage(int i) => new()
    {
        SenderType = i % 2 == 0 ? SenderType.User : SenderType.Agent,
        SenderId = i % 2 == 0 ? "customer" : "agent-7",
        Channel = "web",
        Content = Content,
    };

    private static (double P50, double P99) Percentiles(IEnumerable<List<double>?> perTask)
    {
        var all = perTask.Where(l => l is not null).SelectMany(l => l!).Order().ToList();
        return all.Count == 0 ? (0, 0) : (all[all.Count / 2], all[Math.Min(all.Count - 1, (int)(all.Count * 0.99))]);
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
