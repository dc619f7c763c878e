using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Parley.AspNetCore.Http;

namespace Parley.AspNetCore.Events;

/// <summary><c>GET /api/v1/events</c>: Server-Sent Events for every committed change the caller may see:
/// <c>message.logged</c>, <c>message.status</c>, <c>session.created</c>, <c>session.ended</c>.</summary>
internal static class EventsApi
{
    private static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(3);
    private const int KeepAliveTicks = 5;

    public static IEndpointRouteBuilder MapEvents(this IEndpointRouteBuilder api)
    {
        api.MapGet("/events", async (HttpContext ctx, Ledger ledger, ApiKeys keys, TimeProvider time) =>
        {
            var caller = ctx.Caller();
            // A slow reader loses the oldest events rather than holding up the writer.
            var queue = Channel.CreateBounded<LedgerChange>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
            using var subscription = ledger.Subscribe(change =>
            {
                if (caller.Tenant is null || change.Tenant == caller.Tenant) queue.Writer.TryWrite(change);
            });
            // Each tick re-checks the caller's key, so a revoked key's stream ends within a tick and the key cache's few
            // seconds; every few ticks a comment keeps proxies from closing a quiet stream.
            using var ticks = new PeriodicTimer(CheckEvery, time);
            var response = ctx.Response;
            response.Headers.ContentType = "text/event-stream";
            response.Headers.CacheControl = "no-cache";
            response.Headers["X-Accel-Buffering"] = "no";
            await response.WriteAsync(": connected\n\n", ctx.RequestAborted);
            await response.Body.FlushAsync(ctx.RequestAborted);
            Task<bool>? next = null, tick = null; // one pending wait each
            var quiet = 0;
            try
            {
                while (!ctx.RequestAborted.IsCancellationRequested)
                {
                    next ??= queue.Reader.WaitToReadAsync(ctx.RequestAborted).AsTask();
                    tick ??= ticks.WaitForNextTickAsync(ctx.RequestAborted).AsTask();
                    if (await Task.WhenAny(next, tick) == tick)
                    {
                        tick = null;
                        if (!await keys.StillAllowedAsync(ctx.Request)) return;
                        if (++quiet == KeepAliveTicks)
                        {
                            quiet = 0;
                            await response.WriteAsync(": keep-alive\n\n", ctx.RequestAborted);
                        }
                    }
                    else next = null;
                    while (queue.Reader.TryRead(out var change))
                    {
                        var data = await DataOf(change, ledger);
                        await response.WriteAsync($"event: {change.Type}\ndata: {JsonSerializer.Serialize(data, ParleyJson.Options)}\n\n", ctx.RequestAborted);
                    }
                    await response.Body.FlushAsync(ctx.RequestAborted);
                }
            }
            catch (OperationCanceledException)
            {
                // The client went away.
            }
        });
        return api;
    }

    private static async Task<object?> DataOf(LedgerChange change, Ledger ledger) => change.Type switch
    {
        "message.logged" => change.Message,
        "message.status" => new { message = change.Message, outcome = change.Outcome },
        _ => await SessionOf(change, ledger),
    };

    // The session as it is now, looked up in its own tenant (ids are a namespace per tenant, so the id alone may name
    // sessions of several tenants); its id alone when it is gone or cannot be read right now.
    private static async Task<object> SessionOf(LedgerChange change, Ledger ledger)
    {
        try
        {
            return (object?)await ledger.ForTenant(change.Tenant).GetSessionAsync(change.SessionId) ?? new { id = change.SessionId };
        }
        catch (ParleyUnavailableException)
        {
            return new { id = change.SessionId };
        }
    }
}
