using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Parley.AspNetCore.Operations;

/// <summary>One activity per HTTP write (docs/architecture.md, "Telemetry"): <c>parley.http.write</c> on the
/// <c>Parley</c> ActivitySource, with the method, the route pattern and the status, around every request under the
/// prefix that may change data. The commits it waits for are the writer's own <c>parley.commit</c> activities, which
/// serve many requests at once.</summary>
internal static class WriteActivity
{
    private static readonly ActivitySource Source = new("Parley", typeof(WriteActivity).Assembly.GetName().Version?.ToString());

    public static async Task Middleware(HttpContext ctx, RequestDelegate next)
    {
        var method = ctx.Request.Method;
        if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || !Source.HasListeners())
        {
            await next(ctx);
            return;
        }
        using var activity = Source.StartActivity("parley.http.write");
        activity?.SetTag("http.request.method", method);
        try
        {
            await next(ctx);
        }
        finally
        {
            if (activity is not null)
            {
                activity.SetTag("http.route", (ctx.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched");
                activity.SetTag("http.response.status_code", ctx.Response.StatusCode);
                if (ctx.Response.StatusCode >= 500) activity.SetStatus(ActivityStatusCode.Error);
            }
        }
    }
}
