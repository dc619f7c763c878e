using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Parley.AspNetCore.Http;

namespace Parley.AspNetCore.Messages;

/// <summary>Messages: logging, transcripts, search, and status reports one at a time or in webhook batches.</summary>
internal static class MessagesApi
{
    public static IEndpointRouteBuilder MapMessages(this IEndpointRouteBuilder api)
    {
        api.MapPost("/sessions/{id}/messages", async (string id, HttpContext ctx, Ledger ledger) =>
        {
            var bytes = await RequestBody.ReadBytesAsync(ctx.Request, RequestBody.Batch);
            var view = ctx.LedgerFor(ledger);
            // One message deserializes straight from the bytes; only a batch goes through a document.
            if (RequestBody.FirstProperty(bytes) != "messages")
            {
                var one = RequestBody.As<NewMessage>(bytes);
                var single = await view.LogMessageAsync(id, one.Source is null ? one with { Source = "api" } : one, ctx.RequestAborted);
                if (single.Spooled) return ParleyJson.Spooled(single.Message);
                return Results.Json(single.Message, ParleyJson.Options, statusCode: single.Created ? 201 : 200);
            }
            var body = System.Text.Json.Nodes.JsonNode.Parse(bytes)!.AsObject();
            if (body.TryGetPropertyValue("messages", out var list))
            {
                if (body.Count != 1) throw new ArgumentException("a batch body holds only \"messages\".", body.Select(p => p.Key).First(k => k != "messages"));
                if (list is not JsonArray array) throw new ArgumentException("messages must be an array.", "messages");
                var messages = array.Select((m, i) => RequestBody.As<NewMessage>(m, $"messages[{i}]") is var nm && nm.Source is null ? nm with { Source = "api" } : nm).ToList();
                var logged = await view.LogMessagesAsync(id, messages, ctx.RequestAborted);
                if (logged[0].Spooled) return ParleyJson.Spooled(new MessagesBody([.. logged.Select(l => l.Message)]));
                return Results.Json(new MessagesBody([.. logged.Select(l => l.Message)]), ParleyJson.Options, statusCode: logged.Any(l => l.Created) ? 201 : 200);
            }
            throw new ArgumentException("a batch body is {\"messages\": [...]}.", "messages");
        });

        api.MapGet("/sessions/{id}/messages", async (string id, HttpContext ctx, Ledger ledger) =>
        {
            var q = new QueryArgs(ctx.Request.Query);
            var order = q.String("order") ?? "asc";
            if (order is not ("asc" or "desc")) throw new ArgumentException($"order must be asc or desc; got '{order}'.", "order");
            var page = await ctx.LedgerFor(ledger).GetTranscriptAsync(id, new TranscriptQuery { Cursor = q.String("cursor"), Limit = q.Int("limit", 50), Descending = order == "desc" }, ctx.RequestAborted);
            return Results.Json(page, ParleyJson.Options);
        });

        api.MapGet("/messages/{id}", async (string id, HttpContext ctx, Ledger ledger) =>
            await ctx.LedgerFor(ledger).GetMessageAsync(id, ctx.RequestAborted) is { } message ? Results.Json(message, ParleyJson.Options) : MessageNotFound(id));

        api.MapGet("/messages", async (HttpContext ctx, Ledger ledger) =>
        {
            var q = new QueryArgs(ctx.Request.Query);
            var page = await ctx.LedgerFor(ledger).SearchMessagesAsync(new MessageQuery
            {
                Status = q.Enum<MessageStatus>("status"),
                Channel = q.String("channel"),
                Recipient = q.String("recipient"),
                ProviderMessageId = q.String("provider_message_id"),
                Since = q.Time("since"),
                Until = q.Time("until"),
                Cursor = q.String("cursor"),
                Limit = q.Int("limit", 50),
            }, ctx.RequestAborted);
            return Results.Json(page, ParleyJson.Options);
        });

        api.MapPost("/messages/{id}/status", async (string id, HttpContext ctx, Ledger ledger) =>
        {
            var report = await RequestBody.ReadAsync<StatusReport>(ctx.Request);
            var result = await ctx.LedgerFor(ledger).ReportStatusAsync(id, report with { Source = report.Source ?? "api" }, ctx.RequestAborted);
            if (result.Outcome == ReportOutcome.Spooled) return ParleyJson.Spooled(new StatusResultBody(null, result.Outcome));
            return Results.Json(new StatusResultBody(result.Message, result.Outcome), ParleyJson.Options);
        });

        api.MapPost("/status-reports", async (HttpContext ctx, Ledger ledger) =>
        {
            var body = await RequestBody.ReadObjectAsync(ctx.Request, RequestBody.Batch);
            if (body.Count != 1 || body["reports"] is not JsonArray reports)
                throw new ArgumentException("the body must be {\"reports\": [...]}.", "reports");
            if (reports.Count is 0 or > Ledger.MaxBatch) throw new ArgumentException($"reports must hold 1 to {Ledger.MaxBatch} reports; got {reports.Count}.", "reports");
            var view = ctx.LedgerFor(ledger);
            var results = new object?[reports.Count];
            var keyed = new List<(int Index, KeyedStatusReport Report)>();
            for (var i = 0; i < reports.Count; i++)
            {
                try
                {
                    var item = reports[i] as JsonObject ?? throw new ArgumentException($"reports[{i}] must be a JSON object.", $"reports[{i}]");
                    var messageId = RequestBody.Text(item, "message_id", $"reports[{i}].message_id");
                    var copy = item.DeepClone().AsObject();
                    copy.Remove("message_id");
                    var report = RequestBody.As<StatusReport>(copy, $"reports[{i}]");
                    report = report with { Source = report.Source ?? "webhook" };
                    keyed.Add((i, new KeyedStatusReport { MessageId = messageId, Report = report }));
                }
                catch (Exception e) when (e is ArgumentException or ParleyNotFoundException or JsonException)
                {
                    results[i] = new BatchResultBody(null, null, null, Problems.BodyFor(e));
                }
            }
            if (keyed.Count > 0)
            {
                var applied = await view.ReportStatusesAsync([.. keyed.Select(k => k.Report)], ctx.RequestAborted);
                for (var k = 0; k < keyed.Count; k++)
                {
                    var r = applied[k];
                    results[keyed[k].Index] = new BatchResultBody(r.Outcome, r.MessageId, r.Parked ? true : null, r.Error is null ? null : Problems.BodyFor(r.Error));
                }
            }
            var answer = new { results };
            return results.Any(r => r is BatchResultBody { Outcome: ReportOutcome.Spooled }) ? ParleyJson.Spooled(answer) : Results.Json(answer, ParleyJson.Options);
        });

        return api;
    }

    private static IResult SessionNotFound(string id) => Problems.NotFound($"session '{id}' does not exist.");
    private static IResult MessageNotFound(string id) => Problems.NotFound($"message '{id}' does not exist.");
}

/// <summary><c>{"messages": [...]}</c>, in and out.</summary>
internal sealed record MessagesBody(IReadOnlyList<Message> Messages);

/// <summary>The answer to one status report.</summary>
internal sealed record StatusResultBody(Message? Message, ReportOutcome Outcome);

/// <summary>One report's result in a batch: an outcome, or parked, or a problem object.</summary>
internal sealed record BatchResultBody(ReportOutcome? Outcome, string? MessageId, bool? Parked, Dictionary<string, object?>? Error);

/// <summary>The answer to a batch of reports.</summary>
internal sealed record BatchResultsBody(IReadOnlyList<BatchResultBody> Results);
