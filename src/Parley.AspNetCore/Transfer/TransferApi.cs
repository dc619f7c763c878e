using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Parley.AspNetCore.Http;

namespace Parley.AspNetCore.Transfer;

/// <summary><c>GET /api/v1/export</c> and <c>POST /api/v1/import</c> (docs/http-api.md, "Export and import";
/// docs/transfer.md). A tenant key exports and imports its own tenant only; an admin key or a server without keys,
/// every tenant, or one <c>?tenant=</c>.</summary>
internal static class TransferApi
{
    /// <summary>The largest import body.</summary>
    public const long MaxImport = 1L << 30;

    public static IEndpointRouteBuilder MapTransfer(this IEndpointRouteBuilder api)
    {
        api.MapGet("/export", async (HttpContext ctx, Ledger ledger) =>
        {
            var q = new QueryArgs(ctx.Request.Query);
            var format = q.String("format") ?? "ndjson";
            var options = new ExportOptions
            {
                Format = format switch
                {
                    "csv" => ExportFormat.Csv,
                    "json" => ExportFormat.Json,
                    "ndjson" => ExportFormat.Ndjson,
                    _ => throw new ArgumentException("format must be csv, json or ndjson.", "format"),
                },
                Since = q.Time("since"),
                Until = q.Time("until"),
                SessionId = q.String("session_id"),
                Channel = q.String("channel"),
                Status = q.Enum<MessageStatus>("status"),
                After = q.String("after"),
                Raw = Flag(q, "raw"),
                Bom = Flag(q, "bom"),
                Tenant = TenantOf(ctx, q),
            };
            var response = ctx.Response;
            response.ContentType = format switch { "csv" => "text/csv; charset=utf-8", "json" => "application/json", _ => "application/x-ndjson" };
            var stamp = DateTimeOffset.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
            response.Headers.ContentDisposition = $"attachment; filename=\"parley-export-{stamp}.{format}\"";
            try
            {
                // Checked (and any bad parameter answered as a 400) before the first byte goes out.
                var export = ledger.Admin.ExportAsync(response.Body, options, null, ctx.RequestAborted);
                await export;
            }
            catch (Exception e) when (response.HasStarted && !ctx.RequestAborted.IsCancellationRequested && e is not OperationCanceledException)
            {
                // The headers are gone: the stream says what happened, and an NDJSON export without its trailer is refused by
                // any import.
                var record = new JsonObject { ["type"] = "error", ["detail"] = e is ParleyException or System.Data.Common.DbException ? e.Message : "the export failed; the error is in the server log." };
                await response.WriteAsync("\n" + record.ToJsonString() + "\n", ctx.RequestAborted);
            }
            return Results.Empty;
        });

        api.MapPost("/import", async (HttpContext ctx, Ledger ledger) =>
        {
            if (ctx.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = MaxImport;
            if (ctx.Request.ContentLength > MaxImport) return Problems.Problem(413, "Body too large", $"an import body may hold at most {MaxImport >> 30} GiB.");
            var q = new QueryArgs(ctx.Request.Query);
            var options = new ImportOptions
            {
                OnConflict = (q.String("on_conflict") ?? "skip") switch
                {
                    "skip" => ImportConflictMode.Skip,
                    "fail" => ImportConflictMode.Fail,
                    _ => throw new ArgumentException("on_conflict must be skip or fail.", "on_conflict"),
                },
                Tenant = TenantOf(ctx, q),
                Name = "request body",
            };
            try
            {
                var r = await ledger.Admin.ImportAsync(ctx.Request.Body, options, null, ctx.RequestAborted);
                var body = new JsonObject
                {
                    ["inserted"] = r.Inserted, ["updated"] = r.Updated, ["unchanged"] = r.Unchanged, ["conflicts"] = r.ConflictCount,
                    ["conflict_lines"] = new JsonArray([.. r.Conflicts.Select(c => (JsonNode)new JsonObject
                    {
                        ["line"] = c.Line, ["kind"] = c.Kind, ["id"] = c.Id, ["reason"] = c.Reason,
                    })]),
                };
                return Results.Text(body.ToJsonString(), "application/json", System.Text.Encoding.UTF8);
            }
            catch (InvalidDataException e)
            {
                return Problems.Problem(422, "Unprocessable export", e.Message);
            }
            catch (ParleyConflictException e) when (options.OnConflict == ImportConflictMode.Fail)
            {
                return Problems.Problem(409, "Conflict", e.Message);
            }
        });
        return api;
    }

    private static bool Flag(QueryArgs q, string name) => q.String(name) switch
    {
        null or "false" => false,
        "true" => true,
        var other => throw new ArgumentException($"{name} must be true or false; got '{other}'.", name),
    };

    private static string? TenantOf(HttpContext ctx, QueryArgs q) => ctx.Caller().Tenant ?? q.String("tenant");
}
