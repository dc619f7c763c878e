using System.Diagnostics;
using System.Diagnostics.Metrics;
using Parley.Internal.Kernel;

namespace Parley.Internal;

/// <summary>Parley's <see cref="Meter"/> and <see cref="ActivitySource"/>, both named <c>Parley</c> (docs/architecture.md,
/// "Telemetry"). Every measurement carries <c>parley.database</c>, the ledger's database with any password hidden, so
/// a process with several ledgers can tell them apart. Nothing is measured while nobody listens.</summary>
internal static class Telemetry
{
    public const string Name = "Parley";
    public const string DatabaseTag = "parley.database";

    private static readonly string? Version = typeof(Telemetry).Assembly.GetName().Version?.ToString();

    public static readonly ActivitySource Source = new(Name, Version);
    public static readonly Meter Meter = new(Name, Version);

    public static readonly Histogram<double> CommitDuration = Meter.CreateHistogram<double>("parley.writer.commit.duration", "s",
        "Time to execute and commit one group of write calls (one transaction, one fsync).");

    public static readonly Histogram<int> CommitCalls = Meter.CreateHistogram<int>("parley.writer.commit.calls", "{call}",
        "Write calls one commit carried (group commit).");

    public static readonly Counter<long> Reports = Meter.CreateCounter<long>("parley.reports", "{report}",
        "Status reports committed, by outcome (parley.outcome: applied, stale, duplicate, parked).");

    public static readonly Counter<long> SpooledWrites = Meter.CreateCounter<long>("parley.spool.writes", "{call}",
        "Write calls that went to the spool because the database could not take them.");

    private static readonly List<Writer> Writers = [];

    static Telemetry()
    {
        Meter.CreateObservableGauge("parley.writer.queue.depth", () => Observe(w => w.QueueDepth), "{call}", "Write calls waiting for the writer.");
        Meter.CreateObservableGauge("parley.spool.depth", () => Observe(w => w.SpoolPending), "{call}", "Writes waiting in the spool for the database.");
        Meter.CreateObservableGauge("parley.spool.size", () => Observe(w => w.SpoolBytes), "By", "Bytes of the writes waiting in the spool.");
    }

    /// <summary>Makes a writer's queue and spool depth observable until <see cref="Forget"/>.</summary>
    public static void Watch(Writer writer)
    {
        lock (Writers) Writers.Add(writer);
    }

    public static void Forget(Writer writer)
    {
        lock (Writers) Writers.Remove(writer);
    }

    private static List<Measurement<long>> Observe(Func<Writer, long> value)
    {
        lock (Writers) return [.. Writers.Select(w => new Measurement<long>(value(w), new KeyValuePair<string, object?>(DatabaseTag, w.Database)))];
    }
}
