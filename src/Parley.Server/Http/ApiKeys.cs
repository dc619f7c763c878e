using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;

namespace Parley.Server.Http;

/// <summary>API keys on the wire (SPEC 7.4): once any active key exists, every <c>/api/v1</c> route needs
/// <c>Authorization: Bearer &lt;key&gt;</c>; a tenant key is confined to its tenant and kept off the system routes.
/// Results are cached for a few seconds, so a revoked key stops working within that time. While the database cannot
/// be read (an outage, writes going to the spool) the answers last read stay in force, so that writes keep being
/// accepted; a key never seen before is answered 503 until the database is back.</summary>
internal sealed class ApiKeys(Ledger ledger, byte[] secret)
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);
    private readonly ConcurrentDictionary<string, (ApiKey? Key, DateTime Until)> _cache = new(StringComparer.Ordinal);
    private (bool On, DateTime Until) _enabled;

    /// <summary>Whether any active key exists.</summary>
    public async Task<bool> EnabledAsync()
    {
        if (DateTime.UtcNow < _enabled.Until) return _enabled.On;
        bool on;
        try
        {
            on = (await ledger.ListApiKeysAsync()).Any(k => k.RevokedAt is null);
        }
        catch (ParleyUnavailableException) when (_enabled.Until != default)
        {
            return _enabled.On;
        }
        _enabled = (on, DateTime.UtcNow + CacheFor);
        return on;
    }

    public async Task Middleware(HttpContext ctx, RequestDelegate next)
    {
        if (!ctx.Request.Path.StartsWithSegments("/api/v1") || !await EnabledAsync())
        {
            await next(ctx);
            return;
        }
        var header = ctx.Request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
        var key = token is null ? null : await KeyFor(token);
        if (key is null)
        {
            ctx.Response.Headers.WWWAuthenticate = "Bearer";
            await Problems.Problem(401, "Unauthorized", token is null
                ? "this server requires an API key: send Authorization: Bearer <key> (create one with `parley keys create`)."
                : "the API key is not valid or was revoked.").ExecuteAsync(ctx);
            return;
        }
        if (!key.Admin && ctx.Request.Path.StartsWithSegments("/api/v1/system"))
        {
            await Problems.Problem(403, "Forbidden", "the system routes need an admin key.").ExecuteAsync(ctx);
            return;
        }
        ctx.Items[typeof(Caller)] = key.Admin ? Caller.Everyone : new Caller(key.Tenant);
        await next(ctx);
    }

    private async Task<ApiKey?> KeyFor(string token)
    {
        if (_cache.TryGetValue(token, out var hit) && DateTime.UtcNow < hit.Until) return hit.Key;
        ApiKey? key;
        try
        {
            key = await ledger.AuthenticateAsync(token, secret);
        }
        catch (ParleyUnavailableException) when (hit.Until != default)
        {
            return hit.Key;
        }
        if (_cache.Count > 10_000) _cache.Clear();
        _cache[token] = (key, DateTime.UtcNow + CacheFor);
        return key;
    }
}

/// <summary>The secret API key hashes are keyed with, kept outside the database: <c>PARLEY_KEY_SECRET</c> (base64),
/// or for SQLite a file beside the database, created on first use and readable by its owner only.</summary>
internal static class KeySecret
{
    /// <summary>The secret, or null for a server database without <c>PARLEY_KEY_SECRET</c>.</summary>
    public static byte[]? TryLoad(string database) =>
        Environment.GetEnvironmentVariable("PARLEY_KEY_SECRET") is { Length: > 0 } || Internal.DatabaseUrl.Parse(database).Engine == "sqlite"
            ? Load(database)
            : null;

    public static byte[] Load(string database)
    {
        if (Environment.GetEnvironmentVariable("PARLEY_KEY_SECRET") is { Length: > 0 } env)
        {
            try
            {
                var bytes = Convert.FromBase64String(env);
                if (bytes.Length >= 32) return bytes;
            }
            catch (FormatException)
            {
            }
            throw new ArgumentException("PARLEY_KEY_SECRET must be at least 32 bytes, base64-encoded.", "PARLEY_KEY_SECRET");
        }
        var url = Internal.DatabaseUrl.Parse(database);
        if (url.Engine != "sqlite")
            throw new ArgumentException("set PARLEY_KEY_SECRET (32+ random bytes, base64) to use API keys with a server database.", "PARLEY_KEY_SECRET");
        var path = Path.GetFullPath(url.Target) + ".keys-secret";
        if (!File.Exists(path)) Create(path);
        Internal.PrivateFile.RequireOwnerOnly(path, "the key secret");
        return Convert.FromBase64String(File.ReadAllText(path).Trim());
    }

    /// <summary>Writes a new secret into a file created owner-only (0600) and complete before it takes its name, so
    /// no one else can ever read it and a process starting at the same time reads this secret or its own whole.</summary>
    private static void Create(string path)
    {
        var temp = $"{path}.{Guid.NewGuid():N}.partial";
        try
        {
            using (var file = Internal.PrivateFile.Create(temp))
            {
                file.Write(System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))));
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created the secret first: use that one.
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
