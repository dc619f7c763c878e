using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Parley.AspNetCore.Hosting;

/// <summary>The host's health check for Parley (<c>AddHealthChecks</c>): healthy when the database answers and no
/// write waits in the spool; unhealthy while the database cannot be read, degraded while spooled writes wait.</summary>
internal sealed class ParleyHealthCheck(LedgerHost host) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var ledger = host.Ledger;
        var data = new Dictionary<string, object> { ["writer_queue"] = ledger.WriteQueueDepth, ["schema_version"] = ledger.SchemaVersion };
        if (ledger.Spool is { } spool) data["spool_pending"] = spool.Pending;
        try
        {
            await ledger.GetSystemEventsAsync(limit: 1, cancellationToken: cancellationToken);
        }
        catch (ParleyException e)
        {
            return HealthCheckResult.Unhealthy("the database cannot be read", e, data);
        }
        return ledger.Spool is { Pending: > 0 } waiting
            ? HealthCheckResult.Degraded($"{waiting.Pending} writes wait in the spool for the database", data: data)
            : HealthCheckResult.Healthy("the database answers", data);
    }
}
