using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Parley.AspNetCore.Http;

namespace Parley.AspNetCore.Sessions;

/// <summary><c>/api/v1/sessions</c>: create, list, read, change, end, delete, and read markers.</summary>
internal static class SessionsApi
{
    public static IEndpointRouteBuilder MapSessions(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/sessions");

        group.MapPost("", async (HttpContext ctx, Ledger ledger) =>
        {
            var body = await RequestBody.ReadAsync<NewSession>(ctx.Request);
            // A tenant key's sessions are its tenant's, whatever the body said.
            var view = ctx.LedgerFor(ledger);
            var result = await view.CreateSessionAsync(ctx.Caller().Tenant is null ? body : body with { Tenant = null }, ctx.RequestAborted);
            if (result.Spooled) return ParleyJson.Spooled(result.Session);
            return Results.Json(result.Session, ParleyJson.Options, statusCode: result.Created ? 201 : 200);
        });

        group.MapGet("", async (HttpContext ctx, Ledger ledger) =>
        {
            var q = new QueryArgs(ctx.Request.Query);
            var page = await ctx.LedgerFor(ledger).ListSessionsAsync(new SessionQuery
            {
                Page = q.Int("page", 1),
                PerPage = q.Int("per_page", 20),
                Status = q.Enum<SessionStatus>("status"),
                Kind = q.String("kind"),
                Channel = q.String("channel"),
                Text = q.String("q"),
                Since = q.Time("since"),
                Until = q.Time("until"),
            }, ctx.RequestAborted);
            return Results.Json(PageBody.Of(page), ParleyJson.Options);
        });

        group.MapGet("/{id}", async (string id, HttpContext ctx, Ledger ledger) =>
            await ctx.LedgerFor(ledger).GetSessionAsync(id, ctx.RequestAborted) is { } session ? Results.Json(session, ParleyJson.Options) : NotFound(id));

        group.MapPatch("/{id}", async (string id, HttpContext ctx, Ledger ledger) =>
        {
            var body = await RequestBody.ReadObjectAsync(ctx.Request);
            var patch = new SessionPatch();
            foreach (var (name, value) in body)
            {
                patch = name switch
                {
                    "title" => patch with
                    {
                        Title = new Optional<string?>(RequestBody.Text(body, "title", "title")),
                    },
                    "metadata" => patch with { Metadata = new Optional<JsonObject?>(value is null ? null : value as JsonObject ?? throw new ArgumentException("metadata must be a JSON object or null.", "metadata")) },
                    _ => throw new ArgumentException($"{name} cannot be changed; PATCH takes title and metadata.", name),
                };
            }
            return Results.Json(await ctx.LedgerFor(ledger).UpdateSessionAsync(id, patch, ctx.RequestAborted), ParleyJson.Options);
        });

        group.MapPost("/{id}/end", async (string id, HttpContext ctx, Ledger ledger) =>
            Results.Json(await ctx.LedgerFor(ledger).EndSessionAsync(id, null, ctx.RequestAborted), ParleyJson.Options));

        group.MapDelete("/{id}", async (string id, HttpContext ctx, Ledger ledger) =>
            await ctx.LedgerFor(ledger).DeleteSessionAsync(id, ctx.RequestAborted) ? Results.NoContent() : NotFound(id));

        group.MapPost("/{id}/read", async (string id, HttpContext ctx, Ledger ledger) =>
        {
            var body = await RequestBody.ReadAsync<ReadMarkerBody>(ctx.Request);
            // Required: a marker moved for the wrong reader marks the other side's messages read.
            var reader = body.Reader ?? throw new ArgumentException("reader is required: agent or user.", "reader");
            var marked = await ctx.LedgerFor(ledger).MarkReadAsync(id, new ReadMarker { Reader = reader, UpTo = body.UpTo, At = body.At }, ctx.RequestAborted);
            return Results.Json(new MarkedBody(marked), ParleyJson.Options);
        });

        return api;
    }

    private static IResult NotFound(string id) => Problems.NotFound($"session '{id}' does not exist.");
}

/// <summary>The body of <c>POST /sessions/{id}/read</c>.</summary>
internal sealed record ReadMarkerBody(Reader? Reader = null, string? UpTo = null, DateTimeOffset? At = null);

/// <summary>How many messages a read marker passed.</summary>
internal sealed record MarkedBody(int Marked);

/// <summary>A numbered page (docs/http-api.md, "Pagination").</summary>
internal sealed record PageBody(IReadOnlyList<object> Items, int Page, int PerPage, long Total, long TotalPages)
{
    public static PageBody Of<T>(Page<T> page) where T : notnull =>
        new([.. page.Items.Cast<object>()], page.PageNumber, page.PerPage, page.Total, page.TotalPages);
}
