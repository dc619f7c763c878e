using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Parley.AspNetCore.Http;

namespace Parley.AspNetCore.Analytics;

/// <summary>The analytics routes (docs/analytics.md; SPEC's shapes in docs/http-api.md, "Analytics"): a window's
/// figures, its days, its error codes. A tenant key sees its tenant's figures; an admin key or a server without keys,
/// every tenant's, or one <c>?tenant=</c>.</summary>
internal static class StatsApi
{
    public static IEndpointRouteBuilder MapStats(this IEndpointRouteBuilder api)
    {
        api.MapGet("/stats", async (HttpContext ctx, Ledger ledger) =>
        {
            var r = await ctx.LedgerFor(ledger).GetStatsAsync(Query(ctx, window: true), ctx.RequestAborted);
            return Json(StatsJson.Of(r));
        });

        api.MapGet("/stats/daily", async (HttpContext ctx, Ledger ledger) =>
        {
            var r = await ctx.LedgerFor(ledger).GetDailyStatsAsync(Query(ctx, window: false), ctx.RequestAborted);
            return Json(StatsJson.Of(r));
        });

        api.MapGet("/stats/errors", async (HttpContext ctx, Ledger ledger) =>
        {
            var items = await ctx.LedgerFor(ledger).GetErrorStatsAsync(Query(ctx, window: true), ctx.RequestAborted);
            return Json(StatsJson.Of(items));
        });
        return api;
    }

    /// <summary>The query's window and filters; <paramref name="window"/>: <c>since</c>/<c>until</c> as well as <c>days</c>.</summary>
    private static StatsQuery Query(HttpContext ctx, bool window)
    {
        var q = new QueryArgs(ctx.Request.Query);
        if (!window && (q.String("since") ?? q.String("until")) is not null)
            throw new ArgumentException("the daily figures take days, not since/until.", q.String("since") is not null ? "since" : "until");
        return new StatsQuery
        {
            Days = q.String("days") is null ? null : q.Int("days", 30),
            Since = window ? q.Time("since") : null,
            Until = window ? q.Time("until") : null,
            TimeZone = q.String("tz") ?? "UTC",
            Channel = q.String("channel"),
            Template = q.String("template"),
        };
    }

    private static IResult Json(JsonObject body) => Results.Text(body.ToJsonString(), "application/json", System.Text.Encoding.UTF8);
}

/// <summary>The analytics answers in SPEC's JSON shapes, for the routes and for <c>parley stats --json</c>.</summary>
internal static class StatsJson
{
    /// <summary>The statuses in the order the answers list them.</summary>
    public static readonly MessageStatus[] Statuses =
        [MessageStatus.Pending, MessageStatus.Sending, MessageStatus.Sent, MessageStatus.Delivered, MessageStatus.Read, MessageStatus.Failed, MessageStatus.Cancelled];

    public static JsonObject Of(StatsReport r) => new()
    {
        ["since"] = Time(r.Since),
        ["until"] = Time(r.Until),
        ["tz"] = r.TimeZone,
        ["relative_error"] = r.RelativeError,
        ["overall"] = Figures(r.Overall),
        ["by_channel"] = new JsonArray([.. r.ByChannel.Select(c => (JsonNode)Figures(c.Stats, ("channel", c.Channel)))]),
        ["by_template"] = new JsonArray([.. r.ByTemplate.Select(t => (JsonNode)Figures(t.Stats, ("template", t.Template)))]),
    };

    public static JsonObject Of(DailyStats r) => new()
    {
        ["tz"] = r.TimeZone,
        ["days"] = new JsonArray([.. r.Days.Select(d => (JsonNode)new JsonObject
        {
            ["date"] = d.Date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            ["messages"] = d.Messages,
            ["status_counts"] = Counts(d.StatusCounts),
            ["delivery_rate"] = d.DeliveryRate,
        })]),
    };

    public static JsonObject Of(IReadOnlyList<ErrorCodeStats> items) => new()
    {
        ["items"] = new JsonArray([.. items.Select(e => (JsonNode)new JsonObject { ["error_code"] = e.ErrorCode, ["count"] = e.Count, ["last_at"] = Time(e.LastAt) })]),
    };

    public static string Wire(MessageStatus s) => JsonNamingPolicy.SnakeCaseLower.ConvertName(s.ToString());

    private static JsonObject Figures(MessageStats s, (string Name, string? Value)? key = null)
    {
        var o = new JsonObject();
        if (key is { } k) o[k.Name] = k.Value;
        o["messages"] = s.Messages;
        o["status_counts"] = Counts(s.StatusCounts);
        o["delivery_rate"] = s.DeliveryRate;
        o["read_rate"] = s.ReadRate;
        o["failure_rate"] = s.FailureRate;
        o["latency_ms"] = new JsonObject { ["sent_to_delivered"] = Latency(s.SentToDelivered), ["delivered_to_read"] = Latency(s.DeliveredToRead) };
        return o;
    }

    private static JsonObject Counts(IReadOnlyDictionary<MessageStatus, long> counts) =>
        new(Statuses.Select(s => KeyValuePair.Create(Wire(s), (JsonNode?)counts[s])));

    private static JsonObject Latency(LatencyStats l) => new() { ["count"] = l.Count, ["p50"] = l.P50, ["p90"] = l.P90, ["p99"] = l.P99 };

    private static JsonNode? Time(DateTimeOffset t) => JsonSerializer.SerializeToNode(t, ParleyJson.Options);

}
