using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Parley.Server.Operations;

/// <summary>Counts requests by method, route pattern and status for <c>/metrics</c>.</summary>
internal sealed class RequestMetrics
{
    private readonly ConcurrentDictionary<(string Method, string Route, int Status), long> _counts = new();

    public async Task Count(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context);
        }
        finally
        {
            var pattern = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
            // A group's own route ("/api/v1/sessions" + "") comes out with a trailing slash.
            var route = pattern is null ? "unmatched" : pattern.Length > 1 ? pattern.TrimEnd('/') : pattern;
            _counts.AddOrUpdate((context.Request.Method, route, context.Response.StatusCode), 1, (_, n) => n + 1);
        }
    }

    public IEnumerable<KeyValuePair<(string Method, string Route, int Status), long>> Snapshot() =>
        _counts.OrderBy(p => p.Key.Route, StringComparer.Ordinal).ThenBy(p => p.Key.Method, StringComparer.Ordinal).ThenBy(p => p.Key.Status);
}
