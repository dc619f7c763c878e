using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Parley.Tests;

/// <summary>The <c>Parley</c> Meter and ActivitySource, observed as any host would (a <see cref="MeterListener"/>, an
/// <see cref="ActivityListener"/>): commit latency and group size per commit, reports by outcome once committed,
/// writes sent to the spool, and the queue and spool depth, each tagged with the ledger's database.</summary>
public class TelemetryTests
{
    private sealed class Recorded
    {
        public readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> Items = new();

        public void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var copy = new Dictionary<string, object?>();
            foreach (var t in tags) copy[t.Key] = t.Value;
            Items.Enqueue((instrument.Name, value, copy));
        }

        public List<(double Value, Dictionary<string, object?> Tags)> Of(string instrument, string database) =>
            [.. Items.Where(i => i.Instrument == instrument && Equals(i.Tags.GetValueOrDefault("parley.database"), database)).Select(i => (i.Value, i.Tags))];
    }

    private static MeterListener Listen(Recorded into)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "Parley") l.EnableMeasurementEvents(instrument);
            },
        };
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => into.Add(i, v, tags));
        listener.SetMeasurementEventCallback<int>((i, v, tags, _) => into.Add(i, v, tags));
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => into.Add(i, v, tags));
        listener.Start();
        return listener;
    }

    [Fact]
    public async Task commits_reports_and_depths_are_measured_per_database()
    {
        var recorded = new Recorded();
        using var listener = Listen(recorded);
        var activities = new ConcurrentQueue<Activity>();
        using var activityListener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "Parley",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activities.Enqueue,
        };
        ActivitySource.AddActivityListener(activityListener);

        await using var t = await TempLedger.OpenAsync();
        var ledger = t.Ledger;
        var database = ledger.Database;
        await ledger.CreateSessionAsync(new NewSession { Id = "s" });
        var logged = await ledger.LogMessagesAsync("s", [.. Enumerable.Range(0, 3).Select(i => new NewMessage { SenderType = SenderType.Agent, Content = $"m{i}" })]);
        var at = DateTimeOffset.UtcNow;
        var id = logged[0].Message.Id;
        await ledger.ReportStatusAsync(id, new StatusReport { Status = MessageStatus.Delivered, At = at });
        await ledger.ReportStatusAsync(id, new StatusReport { Status = MessageStatus.Delivered, At = at });
        await ledger.ReportStatusAsync(id, new StatusReport { Status = MessageStatus.Sent, At = at.AddSeconds(-1) });
        await ledger.ReportStatusesAsync([new KeyedStatusReport { Report = new StatusReport { Status = MessageStatus.Read, ProviderMessageId = "nobody-yet" } }]);
        listener.RecordObservableInstruments();

        var durations = recorded.Of("parley.writer.commit.duration", database);
        var calls = recorded.Of("parley.writer.commit.calls", database);
        Assert.NotEmpty(durations);
        Assert.All(durations, d => Assert.True(d.Value >= 0));
        Assert.Equal(durations.Count, calls.Count);
        // The writer's own counters are the truth: one measurement per commit, the group sizes adding up to the calls
        // committed (the six above, and the parked-report expiry the ledger runs when it opens).
        var stats = ledger.WriterStatistics;
        Assert.Equal(stats.Commits, durations.Count);
        Assert.Equal(stats.CallsCommitted, calls.Sum(c => c.Value));
        Assert.True(stats.CallsCommitted >= 6);
        var reports = recorded.Of("parley.reports", database)
            .GroupBy(r => (string)r.Tags["parley.outcome"]!).ToDictionary(g => g.Key, g => g.Sum(r => r.Value));
        Assert.Equal(new Dictionary<string, double> { ["applied"] = 1, ["duplicate"] = 1, ["stale"] = 1, ["parked"] = 1 }, reports);
        Assert.Contains(recorded.Of("parley.writer.queue.depth", database), d => d.Value == 0);
        Assert.Contains(recorded.Of("parley.spool.depth", database), d => d.Value == 0);
        var commits = activities.Where(a => a.OperationName == "parley.commit" && Equals(a.GetTagItem("parley.database"), database)).ToList();
        Assert.Equal(durations.Count, commits.Count);
        Assert.Equal(stats.CallsCommitted, commits.Sum(a => (int)a.GetTagItem("parley.calls")!));
    }

    [Fact]
    public async Task writes_sent_to_the_spool_are_counted()
    {
        var recorded = new Recorded();
        using var listener = Listen(recorded);
        await using var t = await TempLedger.OpenAsync(o =>
        {
            o.BusyTimeout = TimeSpan.FromMilliseconds(50);
            o.SpoolAfter = TimeSpan.FromMilliseconds(200);
        });
        await t.Ledger.CreateSessionAsync(new NewSession { Id = "s" });
        using (TestDatabases.LockSqlite(t.Path))
        {
            var spooled = await t.Ledger.LogMessageAsync("s", new NewMessage { SenderType = SenderType.Agent, Content = "while locked" });
            Assert.True(spooled.Spooled);
            listener.RecordObservableInstruments();
            // The write and the spool's own "spool used" event wait in it.
            var pending = t.Ledger.Spool!.Pending;
            Assert.True(pending >= 1);
            Assert.Contains(recorded.Of("parley.spool.depth", t.Ledger.Database), d => d.Value == pending);
        }
        Assert.Equal(1, recorded.Of("parley.spool.writes", t.Ledger.Database).Sum(r => r.Value));
    }
}
