using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Parley.AspNetCore;

namespace Parley.Bench;

/// <summary>`http [requests]`: a load driver over loopback against Parley's server (Kestrel, SQLite, synchronous=FULL):
/// single-message POSTs over 64 connections, then batch POSTs of 1,000 messages, beside the library's own batch rate
/// measured in the same run.</summary>
internal static class HttpDriver
{
    public static async Task<int> RunAsync(int requests)
    {
        var dir = Workload.NewDirectory();
        try
        {
            var app = await ParleyServer.BuildAsync(new ServerOptions { Database = "sqlite:" + Path.Combine(dir, "parley.db"), Urls = "http://127.0.0.1:0" });
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
            {
                BaseAddress = new Uri(address),
            };
            for (var s = 0; s < Workload.Sessions; s++)
                await Post(http, "/api/v1/sessions", $"{{\"id\": \"s{s}\", \"kind\": \"bulk_send\"}}");

            await Single(http, 2_000, 64); // warm-up: JIT, connections
            var (singleRate, p50, p99) = await Single(http, requests, 64);
            var batchRate = await Batches(http, Math.Max(20, requests / 1000), callers: 1);
            var batchRate4 = await Batches(http, Math.Max(20, requests / 1000), callers: 4);
            await app.StopAsync();
            await app.DisposeAsync();

            var library = Workload.NewDirectory();
            double libraryRate;
            try
            {
                var rows = Math.Max(20, requests / 1000) * 1000;
                libraryRate = rows / (await ParleyScenarios.BatchLog(library, rows, 1)).TotalSeconds;
            }
            finally
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                Directory.Delete(library, true);
            }

            Console.WriteLine($"# Parley HTTP load, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}; driver and server in one process on loopback");
            Console.WriteLine();
            Console.WriteLine("| scenario | result |");
            Console.WriteLine("| --- | --- |");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| single-message POST /api/v1/sessions/{{id}}/messages, 64 connections, {requests:N0} requests | {singleRate:N0} requests/s, p50 {p50:N1} ms, p99 {p99:N1} ms |"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| batch POST of 1,000 messages, one client | {batchRate:N0} messages/s |"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| batch POST of 1,000 messages, 4 clients | {batchRate4:N0} messages/s |"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| library LogMessagesAsync, 1,000 per call, one caller (same run) | {libraryRate:N0} messages/s; HTTP batch at {batchRate / libraryRate:P0} of it |"));
            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, true);
        }
    }

    private static async Task Post(HttpClient http, string path, string json)
    {
        using var r = await http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        if (r.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.OK))
            throw new InvalidOperationException($"{path}: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
    }

    private static async Task<(double Rate, double P50, double P99)> Single(HttpClient http, int requests, int connections)
    {
        var latencies = new double[requests];
        var next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests)
            {
                var started = Stopwatch.GetTimestamp();
                await Post(http, $"/api/v1/sessions/s{i % Workload.Sessions}/messages",
                    $"{{\"sender_type\": \"system\", \"channel\": \"sms\", \"recipient\": \"{Workload.Recipient(i)}\", \"template\": \"otp\", \"content\": \"{Workload.Content}\"}}");
                latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        })));
        var rate = requests / watch.Elapsed.TotalSeconds;
        Array.Sort(latencies);
        return (rate, latencies[requests / 2], latencies[(int)(requests * 0.99)]);
    }

    private static async Task<double> Batches(HttpClient http, int calls, int callers)
    {
        var message = $"{{\"sender_type\": \"system\", \"channel\": \"sms\", \"template\": \"otp\", \"content\": \"{Workload.Content}\", \"recipient\": \"R\"}}";
        var next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(async () =>
        {
            int call;
            while ((call = Interlocked.Increment(ref next)) < calls)
            {
                var body = "{\"messages\": [" + string.Join(",", Enumerable.Range(call * 1000, 1000).Select(i => message.Replace("\"R\"", $"\"{Workload.Recipient(i)}\"", StringComparison.Ordinal))) + "]}";
                await Post(http, $"/api/v1/sessions/s{call % Workload.Sessions}/messages", body);
            }
        })));
        return calls * 1000 / watch.Elapsed.TotalSeconds;
    }
}
