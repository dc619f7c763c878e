using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace Parley.AspNetCore.Http;

/// <summary>Keeps web pages from using the API through a visitor's browser (docs/security.md, HTTP). A keyless server
/// listening on loopback answers only to loopback host names (DNS rebinding), so anything else is 421; requests that
/// change state refuse other origins (CSRF) with 403; and a body sent to <c>/api/v1</c> must be declared
/// <c>application/json</c> (<c>application/x-ndjson</c> for <c>/import</c>), UTF-8 if a charset is given (under <c>{prefix}/api/v1</c>), or it is 415 — the content types a plain HTML form or
/// <c>fetch</c> without a preflight can send are all refused there.</summary>
internal sealed class BrowserGuard(ApiKeys keys, bool loopbackOnly, PathString api)
{
    public async Task Middleware(HttpContext ctx, RequestDelegate next)
    {
        var request = ctx.Request;
        // An HTTP/1.0 request may come without Host; no browser sends one.
        if (loopbackOnly && request.Host.Host is { Length: > 0 } name && !IsLoopbackName(name) && !await keys.EnabledAsync())
        {
            await Problems.Problem(421, "Misdirected request", "this server has no API keys and answers only to a loopback host name (localhost, 127.0.0.1, [::1]).").ExecuteAsync(ctx);
            return;
        }
        var changes = !HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method) && !HttpMethods.IsOptions(request.Method);
        if (changes && FromAnotherSite(request))
        {
            await Problems.Problem(403, "Forbidden", "requests that change data are not taken from other sites' pages (Origin or Sec-Fetch-Site names another site).").ExecuteAsync(ctx);
            return;
        }
        // The provider webhooks still to come (/webhooks/{provider}/{connection_id}) will take form posts; they sit outside
        // this rule, as they sit outside the Bearer-key rule, and check the provider's signature instead.
        if (changes && request.Path.StartsWithSegments(api) && NotJson(ctx, ndjson: request.Path.StartsWithSegments(api.Add("/import"))) is { } detail)
        {
            await Problems.Problem(415, "Unsupported media type", detail).ExecuteAsync(ctx);
            return;
        }
        await next(ctx);
    }

    /// <summary>Whether a host name (without port; an IPv6 address with or without brackets) is localhost, 127.0.0.0/8 or ::1.</summary>
    internal static bool IsLoopbackName(string host)
    {
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        var bare = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        return IPAddress.TryParse(bare, out var ip) && IPAddress.IsLoopback(ip);
    }

    // Only the authority is compared: behind a proxy that ends TLS the request's own scheme is http while the page's is https.
    private static bool FromAnotherSite(HttpRequest request)
    {
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Equals("cross-site", StringComparison.OrdinalIgnoreCase) || site.Equals("same-site", StringComparison.OrdinalIgnoreCase)) return true;
        var origin = request.Headers.Origin;
        if (origin.Count == 0) return false;
        return origin.Count > 1 || !Uri.TryCreate(origin.ToString(), UriKind.Absolute, out var uri)
               || !string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);
    }

    // POST /import takes NDJSON (application/x-ndjson), which a form or a fetch without a preflight cannot send either.
    private static string? NotJson(HttpContext ctx, bool ndjson)
    {
        var declared = ctx.Request.ContentType;
        if (ndjson)
            return MediaTypeHeaderValue.TryParse(declared, out var nd) && nd.MediaType.Equals("application/x-ndjson", StringComparison.OrdinalIgnoreCase) &&
                   (!HeaderUtilities.RemoveQuotes(nd.Charset).HasValue || HeaderUtilities.RemoveQuotes(nd.Charset).Equals("utf-8", StringComparison.OrdinalIgnoreCase))
                ? null
                : "send the export as NDJSON with Content-Type: application/x-ndjson.";
        if (declared is null)
            return ctx.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true ? "send the body as JSON with Content-Type: application/json." : null;
        if (!MediaTypeHeaderValue.TryParse(declared, out var media) || !media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
            return "send the body as JSON with Content-Type: application/json.";
        var charset = HeaderUtilities.RemoveQuotes(media.Charset);
        return charset.HasValue && !charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase)
            ? "the body must be UTF-8 JSON: Content-Type: application/json or application/json; charset=utf-8."
            : null;
    }
}
