using System.Globalization;
using System.Runtime.InteropServices;

namespace Parley.Bench;

/// <summary>Runs Parley's ingest scenarios beside the baselines, in the same process and on the same disk, and prints
/// a Markdown table of median durable rows per second with each scenario's ratio to the raw ceiling and the naive
/// logger.</summary>
internal static class IngestDriver
{
    private sealed record Scenario(string Name, int Rows, Func<string, int, Task<TimeSpan>> Run);

    public static async Task<int> RunAsync(double scale, string? only)
    {
        int N(int rows) => Math.Max(1000, (int)(rows * scale) / 1000 * 1000);
        Scenario[] scenarios =
        [
            new("raw ceiling: prepared INSERTs, 10,000 per transaction", N(200_000), (d, n) => Task.FromResult(Baselines.RawBatched(d, n))),
            new("naive logger: connection per message, pooling off", N(3_000), (d, n) => Task.FromResult(Baselines.NaiveLogger(d, n))),
            new("EF Core 10: SaveChanges per message", N(5_000), (d, n) => Task.FromResult(Baselines.EfCorePerMessage(d, n))),
            new("Parley (a): LogMessagesAsync, 1,000 per call, one caller", N(200_000), (d, n) => ParleyScenarios.BatchLog(d, n, 1)),
            new("Parley (a'): LogMessagesAsync, 1,000 per call, 4 callers", N(200_000), (d, n) => ParleyScenarios.BatchLog(d, n, 4)),
            new("Parley (b): LogMessageAsync, 256 concurrent callers", N(100_000), (d, n) => ParleyScenarios.ConcurrentLog(d, n, 256)),
            new("Parley (b'): LogMessageAsync, 8 concurrent callers", N(30_000), (d, n) => ParleyScenarios.ConcurrentLog(d, n, 8)),
            new("Parley (c): ReportStatusAsync, 256 concurrent callers", N(100_000), (d, n) => ParleyScenarios.Reports(d, n, 256, batched: false)),
            new("Parley (c'): ReportStatusesAsync, 1,000 per call", N(200_000), (d, n) => ParleyScenarios.Reports(d, n, 0, batched: true)),
        ];

        // The ceiling and the naive logger always run: every other row is a ratio to them.
        scenarios = [.. scenarios.Where((s, i) => i < 2 || only is null || s.Name.Contains(only, StringComparison.Ordinal))];
        Console.WriteLine($"# Parley ingest, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}");
        Console.WriteLine($"# SQLite {SqliteVersion()}, synchronous=FULL, WAL; rows of ~280 bytes into Parley's message table and indexes");
        var medians = new Dictionary<string, double>();
        foreach (var s in scenarios)
        {
            var rates = new List<double>();
            for (var run = 0; run < 3; run++)
            {
                var dir = Workload.NewDirectory();
                try
                {
                    var elapsed = await s.Run(dir, s.Rows);
                    rates.Add(s.Rows / elapsed.TotalSeconds);
                }
                finally
                {
                    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                    Directory.Delete(dir, recursive: true);
                }
            }
            rates.Sort();
            medians[s.Name] = rates[1];
            Console.Error.WriteLine($"{s.Name}: {string.Join(" / ", rates.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))} rows/s");
        }

        var ceiling = medians[scenarios[0].Name];
        var naive = medians[scenarios[1].Name];
        Console.WriteLine();
        Console.WriteLine("| scenario | rows per run | median rows/s | of raw ceiling | × naive logger |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        foreach (var s in scenarios)
        {
            var rate = medians[s.Name];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {s.Name} | {s.Rows:N0} | {rate:N0} | {rate / ceiling:P0} | {rate / naive:N0}× |"));
        }
        return 0;
    }

    private static string SqliteVersion()
    {
        using var conn = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=:memory:");
        conn.Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT sqlite_version()";
        return (string)cmd.ExecuteScalar()!;
    }
}
