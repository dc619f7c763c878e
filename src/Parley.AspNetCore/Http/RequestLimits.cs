using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Parley.AspNetCore.Http;

/// <summary>The request line and header limits, answered as problem+json (docs/security.md, "HTTP"). Kestrel answers
/// requests over its own limits itself, before any middleware, with an empty body and no way to change it; so its
/// limits are set to twice Parley's and this middleware, first in the pipeline, refuses what is over Parley's: a
/// too-long URL is a 414 and too-large or too-many headers a 431, each saying which limit and by how much. Only a
/// request over twice the limits still gets Kestrel's empty answer.</summary>
internal static class RequestLimits
{
    /// <summary>Kestrel's defaults, kept as Parley's limits.</summary>
    public const int RequestLine = 8 * 1024, HeadersTotal = 32 * 1024, HeaderCount = 100;

    public static void Configure(KestrelServerLimits limits)
    {
        limits.MaxRequestLineSize = 2 * RequestLine;
        limits.MaxRequestHeadersTotalSize = 2 * HeadersTotal;
        limits.MaxRequestHeaderCount = 2 * HeaderCount;
    }

    public static async Task Middleware(HttpContext ctx, RequestDelegate next)
    {
        var request = ctx.Request;
        // As Kestrel counts the line: method, target, version, two spaces and CRLF.
        var target = ctx.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path + request.QueryString;
        var line = request.Method.Length + target.Length + request.Protocol.Length + 4;
        if (line > RequestLine)
        {
            await Refuse(ctx, 414, "URI too long", $"the request line is {line:N0} bytes; at most {RequestLine:N0} are taken.");
            return;
        }
        var count = 0;
        long total = 0;
        foreach (var (name, values) in request.Headers)
        {
            foreach (var value in values)
            {
                count++;
                total += name.Length + (value?.Length ?? 0);
            }
        }
        if (count > HeaderCount || total > HeadersTotal)
        {
            await Refuse(ctx, 431, "Request header fields too large",
                count > HeaderCount ? $"the request has {count:N0} headers; at most {HeaderCount:N0} are taken."
                    : $"the request's headers are {total:N0} bytes; at most {HeadersTotal:N0} are taken.");
            return;
        }
        await next(ctx);
    }

    private static Task Refuse(HttpContext ctx, int status, string title, string detail)
    {
        // Nothing of the request is read, so the connection closes after the answer.
        ctx.Response.Headers.Connection = "close";
        return Problems.Problem(status, title, detail).ExecuteAsync(ctx);
    }
}
