using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Parley.AspNetCore.Operations;

/// <summary>What <c>/metrics</c> prints about the ledger, built from the <c>Parley</c> Meter's own instruments
/// (docs/http-api.md, "Health, metrics, OpenAPI") as any other listener would see them, keeping only the measurements
/// tagged with this ledger's database: the commit histograms, reports by outcome, spooled writes, and the queue and
/// spool gauges, which are read when a scrape asks.</summary>
internal sealed class InstrumentMetrics : IDisposable
{
    private const string DatabaseTag = "parley.database";

    private readonly string _database;
    private readonly MeterListener _listener;
    private readonly ConcurrentDictionary<string, long> _reports = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _gauges = new(StringComparer.Ordinal);
    private long _spooled;

    public InstrumentMetrics(string database)
    {
        _database = database;
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "Parley") listener.EnableMeasurementEvents(instrument);
            },
        };
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) =>
        {
            if (Ours(tags) && i.Name == "parley.writer.commit.duration") CommitSeconds.Record(v);
        });
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) =>
        {
            if (Ours(tags) && i.Name == "parley.writer.commit.calls") CommitCalls.Record(v);
        });
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) =>
        {
            if (!Ours(tags)) return;
            switch (i.Name)
            {
                case "parley.reports":
                    _reports.AddOrUpdate(Tag(tags, "parley.outcome") ?? "other", v, (_, n) => n + v);
                    break;
                case "parley.spool.writes":
                    Interlocked.Add(ref _spooled, v);
                    break;
                default:
                    if (i.IsObservable) _gauges[i.Name] = v;
                    break;
            }
        });
        _listener.Start();
    }

    public Buckets CommitSeconds { get; } = new(WriterStatistics.CommitSecondsBounds);
    public Buckets CommitCalls { get; } = new(WriterStatistics.CallsPerCommitBounds);
    public long Spooled => Interlocked.Read(ref _spooled);
    public IEnumerable<KeyValuePair<string, long>> Reports => _reports.OrderBy(r => r.Key, StringComparer.Ordinal);

    /// <summary>The gauges' values now (queue depth, spool depth and size).</summary>
    public IReadOnlyDictionary<string, long> Gauges()
    {
        _listener.RecordObservableInstruments();
        return _gauges;
    }

    public void Dispose() => _listener.Dispose();

    private bool Ours(ReadOnlySpan<KeyValuePair<string, object?>> tags) => Tag(tags, DatabaseTag) == _database;

    private static string? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
    {
        foreach (var t in tags) if (t.Key == name) return t.Value as string;
        return null;
    }

    /// <summary>A histogram with fixed upper bounds, as Prometheus prints it.</summary>
    internal sealed class Buckets(IReadOnlyList<double> bounds)
    {
        private readonly long[] _counts = new long[bounds.Count + 1];
        private double _sum;
        private long _count;

        public IReadOnlyList<double> Bounds => bounds;

        public void Record(double value)
        {
            var i = 0;
            while (i < bounds.Count && value > bounds[i]) i++;
            lock (_counts)
            {
                _counts[i]++;
                _sum += value;
                _count++;
            }
        }

        /// <summary>Counts at or below each bound, cumulative; then the total count and sum.</summary>
        public (long[] Cumulative, long Count, double Sum) Read()
        {
            lock (_counts)
            {
                var cumulative = new long[bounds.Count];
                long running = 0;
                for (var i = 0; i < bounds.Count; i++) cumulative[i] = running += _counts[i];
                return (cumulative, _count, _sum);
            }
        }
    }
}
