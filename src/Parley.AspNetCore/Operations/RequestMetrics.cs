using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Parley.AspNetCore.Operations;

/// <summary>Counts requests by method, route pattern and status for <c>/metrics</c>. Every label comes from a bounded set,
/// whatever a client sends: methods outside HTTP's own are <c>other</c>, a request no endpoint matched is
/// <c>unmatched</c>, a status outside 100–599 is <c>other</c> (docs/security.md, HTTP).</summary>
internal sealed class RequestMetrics
{
    private static readonly FrozenSet<string> Methods = FrozenSet.ToFrozenSet(
        [HttpMethods.Get, HttpMethods.Head, HttpMethods.Post, HttpMethods.Put, HttpMethods.Patch, HttpMethods.Delete, HttpMethods.Options, HttpMethods.Trace, HttpMethods.Connect],
        StringComparer.Ordinal);

    private readonly ConcurrentDictionary<(string Method, string Route, string Status), long> _counts = new();

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
            var method = Methods.TryGetValue(context.Request.Method, out var known) ? known : "other";
            var code = context.Response.StatusCode;
            var status = code is >= 100 and <= 599 ? code.ToString(CultureInfo.InvariantCulture) : "other";
            _counts.AddOrUpdate((method, route, status), 1, (_, n) => n + 1);
        }
    }

    public IEnumerable<KeyValuePair<(string Method, string Route, string Status), long>> Snapshot() =>
        _counts.OrderBy(p => p.Key.Route, StringComparer.Ordinal).ThenBy(p => p.Key.Method, StringComparer.Ordinal).ThenBy(p => p.Key.Status, StringComparer.Ordinal);
}
