using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Parley.AspNetCore.Http;

namespace Parley.AspNetCore.Operations;

/// <summary>Health, metrics, system events and the schema's state.</summary>
internal static class OperationsApi
{
    public static IEndpointRouteBuilder MapSystem(this IEndpointRouteBuilder api)
    {
        api.MapGet("/system/events", async (HttpContext ctx, Ledger ledger) =>
        {
            var q = new QueryArgs(ctx.Request.Query);
            var events = await ledger.GetSystemEventsAsync(q.Enum<SystemEventLevel>("level"), q.Int("limit", 100), ctx.RequestAborted);
            return Results.Json(new { items = events }, ParleyJson.Options);
        });

        api.MapGet("/system/schema", async (Ledger ledger, CancellationToken ct) =>
        {
            var (status, drift) = await ledger.Schema.InspectAsync(ct);
            return Results.Json(new
            {
                version = status.Version,
                head = status.Head,
                history = status.History.Select(h => new { version = h.Version, name = h.Name, checksum = h.Checksum, applied_at = h.AppliedAt, execution_ms = h.ExecutionMs, applied_by = h.AppliedBy, state = h.State }),
                drift = drift.Select(d => d.Message),
            }, ParleyJson.Options);
        });
        return api;
    }

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app, RequestMetrics metrics)
    {
        app.MapGet("/health/live", () => Results.Json(new { status = "live" }, ParleyJson.Options));

        // With keys on, only an admin key sees where the spool is and why the database failed; probes without a key
        // get the status and the counts (docs/security.md, HTTP).
        app.MapGet("/health/ready", async (Ledger ledger, ApiKeys keys, HttpContext ctx, CancellationToken ct) =>
        {
            var full = !await keys.EnabledAsync() || (await keys.KeyOf(ctx.Request)).Key is { Admin: true };
            string database;
            var ready = true;
            try
            {
                await ledger.GetSystemEventsAsync(limit: 1, cancellationToken: ct);
                database = "reachable";
            }
            catch (Exception e) when (e is ParleyException or Microsoft.Data.Sqlite.SqliteException)
            {
                database = full ? "unreachable: " + e.Message : "unreachable";
                ready = false;
            }
            // Writes waiting in the spool mean the database was unavailable and reads would miss them: not ready yet.
            var spool = ledger.Spool;
            if (spool is { Pending: > 0 })
            {
                ready = false;
                database = database == "reachable" ? $"reachable; replaying {spool.Pending} spooled writes" : database;
            }
            var body = new
            {
                status = ready ? "ready" : "unavailable", database, schema = new { verified = ledger.SchemaVersion >= 0, version = ledger.SchemaVersion }, writer_queue = ledger.WriteQueueDepth,
                spool = spool is null ? null : new { path = full ? spool.Path : null, pending = spool.Pending, bytes = spool.PendingBytes, max_bytes = spool.MaxBytes },
            };
            if (!ready) ctx.Response.Headers.RetryAfter = "2";
            return Results.Json(body, ParleyJson.Options, statusCode: ready ? 200 : 503);
        });

        app.MapGet("/metrics", async (Ledger ledger, InstrumentMetrics instruments, HttpContext ctx) =>
            Results.Text(Prometheus(ledger, metrics, instruments, await Histograms(ledger, ctx.RequestAborted)), "text/plain; version=0.0.4; charset=utf-8"));
        return app;
    }

    // The delivery latency histograms' bounds, in seconds (Prometheus' unit).
    private static readonly double[] LatencyBounds = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 600, 1800, 3600, 10800, 21600, 43200, 86400];

    /// <summary>The rollups' latency histograms, or null when the database cannot answer now: a scrape never fails
    /// on the database.</summary>
    private static async Task<IReadOnlyList<LatencyHistogram>?> Histograms(Ledger ledger, CancellationToken ct)
    {
        try
        {
            return await ledger.GetLatencyHistogramsAsync(ct);
        }
        catch (ParleyUnavailableException)
        {
            return null;
        }
    }

    private static string Prometheus(Ledger ledger, RequestMetrics requests, InstrumentMetrics instruments, IReadOnlyList<LatencyHistogram>? latency)
    {
        var text = new StringBuilder();
        void Line(string s) => text.Append(s).Append('\n');
        string N(double v) => v.ToString(CultureInfo.InvariantCulture);

        Line("# HELP parley_http_requests_total HTTP requests answered, by method, route and status.");
        Line("# TYPE parley_http_requests_total counter");
        foreach (var ((method, route, status), count) in requests.Snapshot())
            Line($"parley_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {count}");
        var calls = instruments.CommitCalls.Read();
        Line("# HELP parley_writes_total Write calls committed by the writer.");
        Line("# TYPE parley_writes_total counter");
        Line($"parley_writes_total {N(calls.Sum)}");
        Line("# HELP parley_reports_total Status reports committed, by outcome.");
        Line("# TYPE parley_reports_total counter");
        foreach (var (outcome, count) in instruments.Reports) Line($"parley_reports_total{{outcome=\"{outcome}\"}} {count}");
        var gauges = instruments.Gauges();
        Line("# HELP parley_writer_queue_depth Write calls waiting for the writer.");
        Line("# TYPE parley_writer_queue_depth gauge");
        Line($"parley_writer_queue_depth {gauges.GetValueOrDefault("parley.writer.queue.depth")}");
        if (ledger.Spool is not null)
        {
            Line("# HELP parley_spool_writes_total Write calls that went to the spool because the database could not take them.");
            Line("# TYPE parley_spool_writes_total counter");
            Line($"parley_spool_writes_total {instruments.Spooled}");
            Line("# HELP parley_spool_pending Writes waiting in the spool for the database.");
            Line("# TYPE parley_spool_pending gauge");
            Line($"parley_spool_pending {gauges.GetValueOrDefault("parley.spool.depth")}");
            Line("# HELP parley_spool_bytes Bytes waiting in the spool.");
            Line("# TYPE parley_spool_bytes gauge");
            Line($"parley_spool_bytes {gauges.GetValueOrDefault("parley.spool.size")}");
        }
        Histogram("parley_commit_seconds", "Time to execute and commit one group of write calls.", instruments.CommitSeconds);
        Histogram("parley_commit_batch_size", "Write calls carried by one commit.", instruments.CommitCalls);
        if (latency is not null)
        {
            // From the analytics rollups (docs/analytics.md, "Metrics"): every message the ledger holds, by channel. A
            // rollup bucket counts under the first bound at or above its upper edge, so a bound may count up to 1 %
            // of latencies just above it; the sum is estimated from each bucket's value.
            Line("# HELP parley_delivery_latency_seconds Time from a reported send to a reported delivery (kind sent_to_delivered) and from delivery to read (delivered_to_read), by channel, over the messages the ledger holds.");
            Line("# TYPE parley_delivery_latency_seconds histogram");
            foreach (var h in latency)
            {
                var labels = $"kind=\"{h.Kind}\",channel=\"{h.Channel}\"";
                long count = 0;
                double sum = 0;
                var b = 0;
                foreach (var bound in LatencyBounds)
                {
                    for (; b < h.Buckets.Count && h.Buckets[b].UpToMs <= bound * 1000; b++)
                    {
                        count += h.Buckets[b].Count;
                        sum += h.Buckets[b].Count * h.Buckets[b].Ms;
                    }
                    Line($"parley_delivery_latency_seconds_bucket{{{labels},le=\"{N(bound)}\"}} {count}");
                }
                for (; b < h.Buckets.Count; b++)
                {
                    count += h.Buckets[b].Count;
                    sum += h.Buckets[b].Count * h.Buckets[b].Ms;
                }
                Line($"parley_delivery_latency_seconds_bucket{{{labels},le=\"+Inf\"}} {count}");
                Line($"parley_delivery_latency_seconds_sum{{{labels}}} {N(Math.Round(sum / 1000, 3))}");
                Line($"parley_delivery_latency_seconds_count{{{labels}}} {count}");
            }
        }
        return text.ToString();

        void Histogram(string name, string help, InstrumentMetrics.Buckets buckets)
        {
            var (cumulative, count, sum) = buckets.Read();
            Line($"# HELP {name} {help}");
            Line($"# TYPE {name} histogram");
            for (var i = 0; i < buckets.Bounds.Count; i++) Line($"{name}_bucket{{le=\"{N(buckets.Bounds[i])}\"}} {cumulative[i]}");
            Line($"{name}_bucket{{le=\"+Inf\"}} {count}");
            Line($"{name}_sum {N(sum)}");
            Line($"{name}_count {count}");
        }
    }
}
