using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.AspNetCore.Analytics;
using Parley.AspNetCore.Events;
using Parley.AspNetCore.Hosting;
using Parley.AspNetCore.Http;
using Parley.AspNetCore.Messages;
using Parley.AspNetCore.Operations;
using Parley.AspNetCore.Sessions;
using Parley.AspNetCore.Transfer;

namespace Parley.AspNetCore;

/// <summary>Parley in any ASP.NET Core app (docs/hosting.md): <c>builder.Services.AddParley()</c>, then
/// <c>app.MapParley("/parley")</c>.</summary>
public static class ParleyServiceCollectionExtensions
{
    /// <summary>Adds Parley: its options (configuration section <c>Parley</c>, then <paramref name="configure"/>), the
    /// ledger as a singleton, opened when the host starts with the schema startup mode applied and closed when it
    /// stops, with the host's <see cref="ILoggerFactory"/> and <see cref="TimeProvider"/>; scheduled maintenance; and a
    /// health check named <c>parley</c>.</summary>
    public static IServiceCollection AddParley(this IServiceCollection services, Action<ParleyOptions> configure) =>
        Add(services, configure, null);

    /// <summary>Adds Parley with the options of the configuration section <c>Parley</c> alone (see
    /// <see cref="AddParley(IServiceCollection, Action{ParleyOptions})"/>).</summary>
    public static IServiceCollection AddParley(this IServiceCollection services) => Add(services, null, null);

    /// <summary>Adds Parley over a ledger the application opened itself and keeps the owner of (it is not closed when
    /// the host stops).</summary>
    public static IServiceCollection AddParley(this IServiceCollection services, Ledger ledger, Action<ParleyOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        return Add(services, configure, ledger);
    }

    private static IServiceCollection Add(IServiceCollection services, Action<ParleyOptions>? configure, Ledger? ledger)
    {
        ArgumentNullException.ThrowIfNull(services);
        // This package references every engine, so a host's configured URL opens without loading one by name.
        ParleyPostgreSql.Register();
        ParleyMySql.Register();
        var options = services.AddOptions<ParleyOptions>().BindConfiguration(ParleyOptions.Section);
        if (configure is not null) options.Configure(configure);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(s =>
        {
            // The instruments are listened to before the ledger opens, so that its first commits are counted.
            s.GetRequiredService<InstrumentMetrics>();
            return new LedgerHost(s.GetRequiredService<IOptions<ParleyOptions>>(), s.GetRequiredService<ILoggerFactory>(), s.GetRequiredService<TimeProvider>(), ledger);
        });
        services.AddHostedService(s => s.GetRequiredService<LedgerHost>());
        services.AddSingleton(s => s.GetRequiredService<LedgerHost>().Ledger);
        services.AddSingleton(s =>
        {
            var o = s.GetRequiredService<IOptions<ParleyOptions>>().Value;
            return new ApiKeys(s.GetRequiredService<Ledger>(), o.KeySecret ?? KeySecret.TryLoad(o.Database) ?? [], s.GetRequiredService<TimeProvider>(), o.RequireApiKeys);
        });
        services.AddSingleton<RequestMetrics>();
        services.AddSingleton(s => new InstrumentMetrics(Ledger.DescribeDatabase(s.GetRequiredService<IOptions<ParleyOptions>>().Value.Database)));
        services.AddHostedService(s => new ScheduledMaintenance(s.GetRequiredService<LedgerHost>(), s.GetRequiredService<IOptions<ParleyOptions>>().Value,
            s.GetRequiredService<TimeProvider>(), s.GetRequiredService<ILoggerFactory>().CreateLogger("Parley.Maintenance")));
        services.AddHealthChecks().AddCheck<ParleyHealthCheck>("parley");
        return services;
    }
}

/// <summary>Mounts Parley's HTTP API in an app (docs/hosting.md).</summary>
public static class ParleyEndpointExtensions
{
    /// <summary>Mounts Parley under <paramref name="prefix"/> (default: the root): the API at <c>{prefix}/api/v1</c>
    /// (docs/http-api.md), <c>{prefix}/health/live</c>, <c>{prefix}/health/ready</c> and <c>{prefix}/metrics</c>. Requests
    /// under the prefix get Parley's rules first: bounded request lines and headers, problem+json for every error, no
    /// state change from another site's page, JSON bodies, and access by API key or by the host's
    /// <see cref="ParleyOptions.AuthorizationPolicy"/>. Returns the group, for the host's own conventions.</summary>
    public static RouteGroupBuilder MapParley(this WebApplication app, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(app);
        var root = new PathString(prefix.TrimEnd('/'));
        var api = root.Add("/api/v1");
        var options = app.Services.GetRequiredService<IOptions<ParleyOptions>>().Value;
        var metrics = app.Services.GetRequiredService<RequestMetrics>();
        app.UseWhen(ctx => ctx.Request.Path.StartsWithSegments(root), branch =>
        {
            branch.Use(metrics.Count);
            branch.Use(WriteActivity.Middleware);
            branch.Use(RequestLimits.Middleware);
            branch.Use(ProblemsForExceptions);
            branch.Use(async (ctx, next) =>
                await new BrowserGuard(ctx.RequestServices.GetRequiredService<ApiKeys>(), options.LoopbackHostsOnly, api).Middleware(ctx, next));
            if (options.AuthorizationPolicy is null)
                branch.Use((ctx, next) => ctx.RequestServices.GetRequiredService<ApiKeys>().Middleware(ctx, next, api));
            else
                branch.Use((ctx, next) => FromClaims(ctx, next, api, options.TenantClaim));
        });

        var group = app.MapGroup(root.Value ?? "");
        var routes = group.MapGroup("/api/v1");
        if (options.AuthorizationPolicy is { } policy) routes.RequireAuthorization(policy);
        routes.MapSessions();
        routes.MapMessages();
        routes.MapEvents();
        routes.MapStats();
        routes.MapTransfer();
        routes.MapSystem();
        group.MapHealth(metrics);
        // Parley's own document describes these routes (Http/openapi.json); a host's generated document would not
        // know their bodies, so they are left out of it.
        var document = OpenApiDocument.For(root);
        group.MapGet("/openapi/v1.json", () => Results.Bytes(document, "application/json"));
        group.ExcludeFromDescription();
        return group;
    }

    /// <summary>With the host's authorization standing in for keys: the caller's tenant is its tenant claim; only a
    /// caller without one may use the system routes.</summary>
    private static Task FromClaims(HttpContext ctx, RequestDelegate next, PathString api, string claim)
    {
        if (!ctx.Request.Path.StartsWithSegments(api)) return next(ctx);
        if (ctx.User.FindFirst(claim)?.Value is { Length: > 0 } tenant)
        {
            if (ctx.Request.Path.StartsWithSegments(api.Add("/system")))
                return Problems.Problem(403, "Forbidden", "the system routes are not for a caller confined to a tenant.").ExecuteAsync(ctx);
            ctx.Items[typeof(Caller)] = new Caller(tenant);
        }
        return next(ctx);
    }

    private static async Task ProblemsForExceptions(HttpContext ctx, RequestDelegate next)
    {
        try
        {
            await next(ctx);
        }
        catch (Exception e) when (!ctx.Response.HasStarted && e is not OperationCanceledException)
        {
            var result = Problems.For(e);
            // Not found and conflict are answers about the request; the rest of ParleyException is "not now" (503).
            var unavailable = e is ParleyException and not (ParleyNotFoundException or ParleyConflictException);
            if (unavailable) ctx.Response.Headers.RetryAfter = e is ParleyUnavailableException u ? ((int)Math.Ceiling(u.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture) : "5";
            var log = ctx.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Parley.AspNetCore");
            // A 503 is an answer Parley means to give (the database and the spool cannot take it now): one line, no trace.
            if (unavailable)
                log.LogWarning("{Method} {Path} answered 503: {Reason}", ctx.Request.Method, ctx.Request.Path, e.Message);
            else if (result is IStatusCodeHttpResult { StatusCode: >= 500 })
                log.LogError(e, "Unhandled error on {Path}", ctx.Request.Path);
            await result.ExecuteAsync(ctx);
        }
    }
}
