using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Parley.AspNetCore.Hosting;

/// <summary>Opens the ledger when the host starts, applying the schema startup mode (so a refused schema stops the host
/// before it serves), and closes it when the host stops, after the server has finished the requests in flight; or holds
/// a ledger the application opened itself, which it leaves open.</summary>
internal sealed class LedgerHost(IOptions<ParleyOptions> options, ILoggerFactory loggers, TimeProvider time, Ledger? given) : IHostedService
{
    private readonly bool _owned = given is null;
    private Ledger? _ledger = given;

    public Ledger Ledger => _ledger ?? throw new InvalidOperationException("Parley's ledger opens when the host starts (AddParley); it is not open yet.");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_ledger is not null) return;
        var o = options.Value;
        _ledger = await Ledger.OpenAsync(new LedgerOptions
        {
            Database = o.Database, Schema = o.Schema, Spool = o.Spool, SpoolPath = o.SpoolPath, SpoolMaxBytes = o.SpoolMaxBytes,
            LoggerFactory = loggers, TimeProvider = time,
        }, cancellationToken);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_owned && _ledger is { } ledger) await ledger.DisposeAsync();
    }
}
