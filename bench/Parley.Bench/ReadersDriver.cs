using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Parley.Bench;

/// <summary>`readers [seconds] [rounds] [engine filter|-] [readers]`: 64 (or [readers]) concurrent readers paging transcripts while 256 writers log
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
        private const int PageSize = 50;
    private const int PagesPerVisit = 4; // a reader opens a transcript at its newest page and scrolls back three more
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(3);
    private static readonly string Content = new string('x', 200) + " Thanks, that works for me. Could you also send the invoice for last month to my other address?";

    private sealed record Phase(double RowsPerSecond, double PagesPerSecond, double RowsPerPage, double WriteP50, double WriteP99,
        double PageP50, double PageP99, double CallsPerCommit, double WriterBusy, long MaxWalBytes, double OwnCores, double ServerCores, double OtherCores, string Threads);

    /// <summary>Where a phase's fresh database comes from: SQLite copies a file seeded once (closing the ledger
    /// checkpointed its WAL away, so the file is the whole database); a server engine gets a new database seeded
    /// through the ledger.</summary>
    private sealed class Target(string engine, string? admin) : IAsyncDisposable
    {
        private string? _template;

        public string Engine => engine;

        public ServerCpu? Server { get; } = admin is null ? null : ServerCpu.For(engine, admin);

        public async Task<string> NewDatabaseAsync()
        {
            if (engine != "sqlite")
            {
                var url = EngineDriver.CreateDatabase(engine, admin!);
                await Seed(url);
                return url;
            }
            if (_template is null)
            {
                _template = Path.Combine(Workload.NewDirectory(), "parley.db");
                await Seed("sqlite:" + _template);
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            }
            var file = Path.Combine(Workload.NewDirectory(), "parley.db");
            File.Copy(_template, file);
            return "sqlite:" + file;
        }

        public void Drop(string url)
        {
            if (engine != "sqlite")
            {
                EngineDriver.DropDatabase(engine, admin!, url);
                return;
            }
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(Path.GetDirectoryName(url["sqlite:".Length..])!, recursive: true);
        }

        public ValueTask DisposeAsync()
        {
            if (_template is not null) Drop("sqlite:" + _template);
            return ValueTask.CompletedTask;
        }
    }

    public static async Task<int> RunAsync(double seconds, int rounds, string? only, int readers = 64)
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
            await using var target = new Target(engine, admin);
            Console.WriteLine($"# Parley readers beside writers on {engine}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, " +
                              $"{RuntimeInformation.OSDescription}, .NET {Environment.Version}, load average {LoadAverage()}");
            Console.WriteLine($"# {Writers} writers (LogMessageAsync, one chat message a call) into {Sessions:N0} sessions seeded with {SeedPerSession} messages each; " +
                              $"{readers} readers (GetTranscriptAsync, {PageSize} a page, newest first, {PagesPerVisit} pages a visit); {seconds:N0} s measured after {WarmUp.TotalSeconds:N0} s");
            // One unmeasured phase with readers first: the process's first pass through both code paths (JIT, pools).
            await RunPhase(target, readers, duration / 4);
            var alone = new List<Phase>();
            var mixed = new List<Phase>();
            Console.WriteLine();
            Console.WriteLine("| round | order | writers alone: rows/s | with readers: rows/s | ratio | pages/s | write p99 alone / with (ms) | page p50 / p99 (ms) | calls per commit alone / with | other processes' CPU alone / with (cores) |");
            Console.WriteLine("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            for (var round = 1; round <= rounds; round++)
            {
                // ABBA: odd rounds measure writers alone first, even rounds with readers first.
                var aloneFirst = round % 2 == 1;
                Phase a, m;
                if (aloneFirst)
                {
                    a = await RunPhase(target, 0, duration);
                    m = await RunPhase(target, readers, duration);
                }
                else
                {
                    m = await RunPhase(target, readers, duration);
                    a = await RunPhase(target, 0, duration);
                }
                alone.Add(a);
                mixed.Add(m);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {round} | {(aloneFirst ? "alone, with" : "with, alone")} | {a.RowsPerSecond:N0} | {m.RowsPerSecond:N0} | {m.RowsPerSecond / a.RowsPerSecond:N2} | {m.PagesPerSecond:N0} | " +
                    $"{a.WriteP99:N1} / {m.WriteP99:N1} | {m.PageP50:N1} / {m.PageP99:N1} | {a.CallsPerCommit:N0} / {m.CallsPerCommit:N0} | {a.OtherCores:N2} / {m.OtherCores:N2} |"));
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  round {round}: {(engine == "sqlite" ? $"largest WAL alone {a.MaxWalBytes / 1048576.0:N1} MiB, with readers {m.MaxWalBytes / 1048576.0:N1} MiB; " : "")}writer busy {a.WriterBusy:P0} / {m.WriterBusy:P0}; this process {a.OwnCores:N2} / {m.OwnCores:N2} cores; {(target.Server is null ? "" : $"the database server {a.ServerCores:N2} / {m.ServerCores:N2} cores; ")}{m.RowsPerPage:N1} rows a page\n" +
                    $"    alone: {a.Threads}\n    with readers: {m.Threads}"));
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

    /// <summary>One phase on a fresh database: seed it, reopen the ledger, run the writers (and <paramref name="readers"/> readers) for a
    /// warm-up and then for <paramref name="duration"/>, counting only the measured window.</summary>
    private static async Task<Phase> RunPhase(Target target, int readers, TimeSpan duration)
    {
        var url = await target.NewDatabaseAsync();
        try
        {
            await using var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = url });
            using var stop = new CancellationTokenSource();
            var measuring = 0; // 1 inside the measured window: only then are latencies kept
            long written = 0, pages = 0, pageRows = 0;
            var writeLatencies = new List<double>[Writers];
            var pageLatencies = new List<double>[readers];
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
            var readerTasks = Enumerable.Range(0, readers).Select(r => Task.Run(async () =>
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

            var walPath = target.Engine == "sqlite" ? url["sqlite:".Length..] + "-wal" : null;
            long maxWal = 0;
            await Task.Delay(WarmUp);
            var (w0, p0, r0, stats0) = (Interlocked.Read(ref written), Interlocked.Read(ref pages), Interlocked.Read(ref pageRows), ledger.WriterStatistics);
            var (own0, server0, busy0, threads0) = (Process.GetCurrentProcess().TotalProcessorTime, target.Server?.Used() ?? TimeSpan.Zero, MachineBusy(), ThreadTimes.Now());
            Volatile.Write(ref measuring, 1);
            var window = Stopwatch.StartNew();
            while (window.Elapsed < duration)
            {
                await Task.Delay(100);
                if (walPath is not null && File.Exists(walPath)) maxWal = Math.Max(maxWal, new FileInfo(walPath).Length);
            }
            var (w1, p1, r1, stats1) = (Interlocked.Read(ref written), Interlocked.Read(ref pages), Interlocked.Read(ref pageRows), ledger.WriterStatistics);
            var elapsed = window.Elapsed;
            var own = (Process.GetCurrentProcess().TotalProcessorTime - own0) / elapsed;
            var server = ((target.Server?.Used() ?? TimeSpan.Zero) - server0) / elapsed;
            var busy = (MachineBusy() - busy0) / elapsed;
            var threads = ThreadTimes.Now().Since(threads0, elapsed);
            var poolThreads = ThreadPool.ThreadCount;
            Volatile.Write(ref measuring, 0);
            await stop.CancelAsync();
            await Task.WhenAll([.. writers, .. readerTasks]);

            var commits = stats1.Commits - stats0.Commits;
            var writes = Percentiles(writeLatencies);
            var reads = Percentiles(pageLatencies.Where(l => l is not null));
            return new Phase((w1 - w0) / elapsed.TotalSeconds, (p1 - p0) / elapsed.TotalSeconds, p1 == p0 ? 0 : (double)(r1 - r0) / (p1 - p0),
                writes.P50, writes.P99, reads.P50, reads.P99,
                commits == 0 ? 0 : (double)(stats1.CallsCommitted - stats0.CallsCommitted) / commits, (stats1.CommitTime - stats0.CommitTime) / elapsed, maxWal,
                own, server, Math.Max(0, busy - own - server), $"{Describe(threads)} ({poolThreads} pool threads)");
        }
        finally
        {
            target.Drop(url);
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

    /// <summary>The writer thread, the thread pool's workers and the rest: cores on a CPU, and runnable but waiting.</summary>
    private static string Describe(IReadOnlyDictionary<string, (double Run, double Wait)> threads)
    {
        const string Writer = "parley-writer", Pool = ".NET TP Worker";
        var rest = threads.Where(t => t.Key is not (Writer or Pool)).Aggregate((Run: 0.0, Wait: 0.0), (a, t) => (a.Run + t.Value.Run, a.Wait + t.Value.Wait));
        string Part(string name, (double Run, double Wait) t) => string.Create(CultureInfo.InvariantCulture, $"{name} {t.Run:N2} on CPU, {t.Wait:N2} waiting");
        return $"{Part("writer thread", threads.GetValueOrDefault(Writer))}; pool workers {Part("", threads.GetValueOrDefault(Pool)).TrimStart()}; other threads {Part("", rest).TrimStart()}";
    }

    private static (double P50, double P99) Percentiles(IEnumerable<List<double>?> perTask)
    {
        var all = perTask.Where(l => l is not null).SelectMany(l => l!).Order().ToList();
        return all.Count == 0 ? (0, 0) : (all[all.Count / 2], all[Math.Min(all.Count - 1, (int)(all.Count * 0.99))]);
    }

    /// <summary>CPU time every process on the machine has used since boot (/proc/stat: all but idle and iowait), so
    /// that a phase can say how much of the two cores other work took while it ran.</summary>
    private static TimeSpan MachineBusy()
    {
        try
        {
            var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
            return TimeSpan.FromSeconds((cpu.Sum() - cpu[3] - cpu[4]) / 100.0); // USER_HZ
        }
        catch (IOException)
        {
            return TimeSpan.Zero;
        }
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
