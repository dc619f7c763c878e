using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Parley.AspNetCore.Operations;

/// <summary>Maintenance on a schedule (docs/cli.md, "serve"): every <see cref="ServerOptions.MaintainEvery"/>,
/// retention cleanup when <see cref="ServerOptions.Retention"/> is set (in batches, so writers wait at most one batch),
/// then the engine's statistics refresh (<c>ANALYZE</c>, <c>PRAGMA optimize</c>, <c>VACUUM ANALYZE</c>) — the same work
/// as <c>parley cleanup</c> and <c>parley maintain</c>, each recording its system event. A run is skipped while writes
/// wait in the spool (the database is unavailable) and a failure is logged, never fatal. The schedule and the retention
/// cutoff read the host's clock (its <see cref="TimeProvider"/>).</summary>
internal sealed partial class ScheduledMaintenance(Hosting.LedgerHost host, ParleyOptions options, TimeProvider time, ILogger log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.MaintainEvery is not { } every) return;
        using var timer = new PeriodicTimer(every, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) await RunOnceAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        var ledger = host.Ledger;
        if (ledger.Spool is { Pending: > 0 })
        {
            Skipped(log, ledger.Spool.Pending);
            return;
        }
        try
        {
            long deleted = 0;
            if (options.Retention is { } keep) deleted = await ledger.CleanupAsync(time.GetUtcNow() - keep, cancellationToken: cancellationToken);
            var ran = await ledger.Admin.MaintainAsync(cancellationToken);
            Ran(log, deleted, string.Join("; ", ran));
        }
        catch (Exception e) when (e is ParleyException or System.Data.Common.DbException or IOException)
        {
            Failed(log, e);
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Maintenance: deleted {Deleted} old messages; ran {Ran}")]
    private static partial void Ran(ILogger logger, long deleted, string ran);

    [LoggerMessage(2, LogLevel.Warning, "Maintenance skipped: {Pending} writes wait in the spool")]
    private static partial void Skipped(ILogger logger, int pending);

    [LoggerMessage(3, LogLevel.Error, "Maintenance failed; the next run will try again")]
    private static partial void Failed(ILogger logger, Exception error);
}
