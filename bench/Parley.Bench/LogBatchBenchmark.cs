using BenchmarkDotNet.Attributes;

namespace Parley.Bench;

/// <summary>BenchmarkDotNet view of the batch path: one call of N messages per operation, against the raw ceiling
/// writing the same N rows in one transaction.</summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 8)]
public class LogBatchBenchmark
{
    private string _dir = "";
    private Ledger _ledger = null!;
    private List<NewMessage> _batch = [];
    private RawWriter _raw = null!;

    [Params(100, 1000)]
    public int BatchSize { get; set; }

    [GlobalSetup]
    public async Task Setup()
    {
        _dir = Workload.NewDirectory();
        _ledger = await Ledger.OpenAsync(new LedgerOptions { Database = "sqlite:" + Path.Combine(_dir, "parley.db") });
        await _ledger.CreateSessionAsync(new NewSession { Id = "s0" });
        _batch = [.. Enumerable.Range(0, BatchSize).Select(i => Workload.Message(i))];
        _raw = new RawWriter(Path.Combine(_dir, "raw.db"));
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _ledger.DisposeAsync();
        _raw.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, true);
    }

    [Benchmark(Description = "Parley LogMessagesAsync")]
    public Task Parley() => _ledger.LogMessagesAsync("s0", _batch);

    [Benchmark(Baseline = true, Description = "raw prepared INSERTs, one transaction")]
    public void Raw() => _raw.Write(BatchSize, BatchSize);
}
