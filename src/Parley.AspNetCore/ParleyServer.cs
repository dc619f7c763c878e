using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Parley.AspNetCore.Http;

namespace Parley.AspNetCore;

/// <summary>How <c>parley serve</c> runs.</summary>
public sealed record ServerOptions
{
    /// <summary>The database URL (docs/cli.md, "Database URLs").</summary>
    public string Database { get; init; } = "sqlite:parley.db";
    /// <summary>Where to listen, separated by ';'.</summary>
    public string Urls { get; init; } = "http://127.0.0.1:5080";
    /// <summary>The schema startup mode.</summary>
    public SchemaStartupMode Schema { get; init; } = SchemaStartupMode.Migrate;
    /// <summary>Serve beyond loopback without API keys.</summary>
    public bool Insecure { get; init; }
    /// <summary>The spool file (README, "When the database is unavailable: the spool"); null for the default.</summary>
    public string? Spool { get; init; }
    /// <summary>The most the spool may hold.</summary>
    public long SpoolMaxBytes { get; init; } = 1L << 30;
    /// <summary>How often maintenance runs (statistics, and retention when set); null: never.</summary>
    public TimeSpan? MaintainEvery { get; init; } = TimeSpan.FromHours(24);
    /// <summary>Messages older than this are deleted at each maintenance run; null: kept.</summary>
    public TimeSpan? Retention { get; init; }
    /// <summary>The least severe log level written.</summary>
    public LogLevel LogLevel { get; init; } = LogLevel.Warning;
    /// <summary>The clock for the server's own caches and timers (tests drive it).</summary>
    internal TimeProvider Time { get; init; } = TimeProvider.System;
    /// <summary>More log providers for the host (tests read what the server logs).</summary>
    internal ILoggerProvider? ExtraLogger { get; init; }
}

/// <summary><c>parley serve</c>: a thin host over <see cref="ParleyServiceCollectionExtensions.AddParley(IServiceCollection, Ledger, Action{ParleyOptions})"/>
/// and <see cref="ParleyEndpointExtensions.MapParley"/> at the root, adding only what a standalone server needs: Kestrel
/// and its limits, the refusal to serve beyond loopback without keys, problem+json for unknown routes and a start
/// page.</summary>
public static class ParleyServer
{
    /// <summary>Opens the ledger and builds the application; <c>RunAsync</c> on the result serves until stopped.</summary>
    public static async Task<WebApplication> BuildAsync(ServerOptions options, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(options.LogLevel);
        // A failure to bind is reported by `parley serve` in one line; the host's own stack trace adds nothing.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.Critical);
        if (options.ExtraLogger is not null) builder.Logging.AddProvider(options.ExtraLogger);
        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = RequestBody.Batch + 1;
            RequestLimits.Configure(k.Limits);
        });
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = ParleyJson.Options.PropertyNamingPolicy;
            o.SerializerOptions.NumberHandling = ParleyJson.Options.NumberHandling;
            foreach (var c in ParleyJson.Options.Converters) o.SerializerOptions.Converters.Add(c);
        });
        // The ledger opens before the host is built, so it logs (spooling, replay, retries) through its own factory.
        var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(options.LogLevel));
        var ledger = await Ledger.OpenAsync(new LedgerOptions
        {
            Database = options.Database, Schema = options.Schema, SpoolPath = options.Spool, SpoolMaxBytes = options.SpoolMaxBytes,
            LoggerFactory = loggers,
        }, cancellationToken);
        // A server database without PARLEY_KEY_SECRET serves without keys; it refuses to start once keys exist.
        var secret = KeySecret.TryLoad(options.Database);
        var exposed = options.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(u => !IsLoopback(u));
        var existing = await ledger.ListApiKeysAsync(cancellationToken);
        if (secret is null && existing.Count > 0)
        {
            await ledger.DisposeAsync();
            throw new ArgumentException("this database has API keys: set PARLEY_KEY_SECRET (the base64 secret they were created with) to check them.", "PARLEY_KEY_SECRET");
        }
        // Refuse to start beyond loopback without a key unless told --insecure.
        if (exposed is not null && !options.Insecure && !existing.Any(k => k.RevokedAt is null))
        {
            await ledger.DisposeAsync();
            throw new ArgumentException($"{exposed} listens beyond loopback, where API keys are required, and this database has no active one; " +
                                        "create one with `parley keys create --admin` (or --tenant T), or pass --insecure on a trusted network.", "urls");
        }
        builder.Services.AddSingleton(options.Time);
        builder.Services.AddParley(ledger, o =>
        {
            o.Database = options.Database;
            o.Schema = options.Schema;
            o.MaintainEvery = options.MaintainEvery;
            o.Retention = options.Retention;
            o.KeySecret = secret ?? [];
            // Beyond loopback, keys are required (docs/security.md, HTTP) for the life of the process, whatever happens to the key rows.
            o.RequireApiKeys = exposed is not null && !options.Insecure;
            o.LoopbackHostsOnly = exposed is null;
        });

        var app = builder.Build();
        // SIGTERM: Kestrel stops taking requests and finishes the ones in flight (each awaits its commit), then the
        // ledger commits whatever is still queued before the process exits.
        app.Lifetime.ApplicationStopped.Register(() =>
        {
            ledger.DisposeAsync().AsTask().GetAwaiter().GetResult();
            loggers.Dispose();
        });

        app.MapParley();
        app.UseStatusCodePages(async ctx =>
        {
            var http = ctx.HttpContext;
            var (title, detail) = http.Response.StatusCode switch
            {
                405 => ("Method not allowed", $"{http.Request.Method} is not allowed on {http.Request.Path}."),
                415 => ("Unsupported media type", "send the body as JSON with Content-Type: application/json."),
                404 => ("Not found", $"no route {http.Request.Path}."),
                var other => (ReasonPhrases.GetReasonPhrase(other), $"{http.Request.Method} {http.Request.Path} failed."),
            };
            await Problems.Problem(http.Response.StatusCode, title, detail).ExecuteAsync(http);
        });

        app.MapGet("/", () => Results.Content(
            "<!doctype html><title>Parley</title><h1>Parley</h1><p>The API is at <code>/api/v1</code>; see <a href=\"/openapi/v1.json\">/openapi/v1.json</a>, " +
            "<a href=\"/health/ready\">/health/ready</a> and <a href=\"/metrics\">/metrics</a>.</p>", "text/html"));
        return app;
    }

    /// <summary>Whether a listen URL stays on this machine (127.0.0.0/8, ::1, localhost).</summary>
    internal static bool IsLoopback(string url)
    {
        var host = url.Contains("://", StringComparison.Ordinal) ? url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..] : url;
        host = host.Split('/')[0];
        if (host.StartsWith('[')) host = host[1..host.IndexOf(']', StringComparison.Ordinal)];
        else if (host.Contains(':', StringComparison.Ordinal)) host = host[..host.LastIndexOf(':')];
        return BrowserGuard.IsLoopbackName(host);
    }
}
