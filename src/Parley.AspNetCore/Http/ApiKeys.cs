using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Parley.AspNetCore.Http;

/// <summary>API keys on the wire (README, "API keys and tenants"; docs/security.md): once any key has been created, every <c>/api/v1</c> route needs
/// <c>Authorization: Bearer &lt;key&gt;</c>; a tenant key is confined to its tenant and kept off the system routes.
/// Keys stay on once a key exists, revoked or not, and for the rest of the process once seen on, so revoking the last key
/// never opens the API; a server listening beyond loopback (without <c>--insecure</c>) demands keys from the start
/// (docs/security.md, HTTP). Results are cached for a few seconds, so a revoked key stops working within that time. While
/// the database cannot be read (an outage, writes going to the spool) the answers last read stay in force, so that writes
/// keep being accepted; a key never seen before is answered 503 until the database is back.</summary>
internal sealed class ApiKeys(Ledger ledger, byte[] secret, TimeProvider time, bool required = false)
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);
    private const int MaxCached = 10_000;
    private readonly ConcurrentDictionary<string, (ApiKey Key, DateTimeOffset Until)> _cache = new(StringComparer.Ordinal);
    private bool _on = required;
    private DateTimeOffset _offUntil;

    /// <summary>How many answers the cache holds (tests check it stays bounded).</summary>
    internal int CachedCount => _cache.Count;

    /// <summary>Whether keys are on: any key row exists, revoked ones included. Once on, on until the process ends.</summary>
    public async Task<bool> EnabledAsync()
    {
        if (_on) return true;
        if (time.GetUtcNow() < _offUntil) return false;
        bool any;
        try
        {
            any = (await ledger.ListApiKeysAsync()).Count > 0;
        }
        catch (ParleyUnavailableException) when (_offUntil != default)
        {
            return false;
        }
        if (any) _on = true;
        else _offUntil = time.GetUtcNow() + CacheFor;
        return any;
    }

    /// <summary>Checks the key of a request to the API at <paramref name="api"/> (<c>{prefix}/api/v1</c>).</summary>
    public async Task Middleware(HttpContext ctx, RequestDelegate next, PathString api)
    {
        if (!ctx.Request.Path.StartsWithSegments(api) || !await EnabledAsync())
        {
            await next(ctx);
            return;
        }
        var (presented, key) = await KeyOf(ctx.Request);
        if (key is null)
        {
            ctx.Response.Headers.WWWAuthenticate = "Bearer";
            await Problems.Problem(401, "Unauthorized", !presented
                ? "this server requires an API key: send Authorization: Bearer <key> (create one with `parley keys create`)."
                : "the API key is not valid or was revoked.").ExecuteAsync(ctx);
            return;
        }
        if (!key.Admin && ctx.Request.Path.StartsWithSegments(api.Add("/system")))
        {
            await Problems.Problem(403, "Forbidden", "the system routes need an admin key.").ExecuteAsync(ctx);
            return;
        }
        ctx.Items[typeof(Caller)] = key.Admin ? Caller.Everyone : new Caller(key.Tenant);
        await next(ctx);
    }

    /// <summary>Whether a request let in earlier still would be: keys still off, or its key still active (what a long
    /// response such as the event stream checks as it goes). While the database cannot be read the last answer stands.</summary>
    public async Task<bool> StillAllowedAsync(HttpRequest request)
    {
        try
        {
            return !await EnabledAsync() || (await KeyOf(request)).Key is not null;
        }
        catch (ParleyUnavailableException)
        {
            return true;
        }
    }

    /// <summary>Whether the request carried a Bearer token, and the active key it names (null for anything else). A
    /// token without the shape of a key is refused here, before any lookup or allocation of its own.</summary>
    public async Task<(bool Presented, ApiKey? Key)> KeyOf(HttpRequest request)
    {
        var header = request.Headers.Authorization;
        if (header.Count != 1 || header[0] is not { } value || !value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return (header.Count > 0, null);
        var token = value.AsSpan(7).Trim();
        return (true, Ledger.IsWellFormedKey(token) ? await KeyFor(token.ToString()) : null);
    }

    // Only keys that authenticated are cached, by a hash of the token, so nothing a stranger sends is kept.
    private async Task<ApiKey?> KeyFor(string token)
    {
        var id = Convert.ToBase64String(SHA256.HashData(Encoding.ASCII.GetBytes(token)));
        if (_cache.TryGetValue(id, out var hit) && time.GetUtcNow() < hit.Until) return hit.Key;
        ApiKey? key;
        try
        {
            key = await ledger.AuthenticateAsync(token, secret);
        }
        catch (ParleyUnavailableException) when (hit.Until != default)
        {
            return hit.Key;
        }
        if (key is null)
        {
            _cache.TryRemove(id, out _);
            return null;
        }
        if (_cache.Count >= MaxCached) _cache.Clear();
        _cache[id] = (key, time.GetUtcNow() + CacheFor);
        return key;
    }
}
