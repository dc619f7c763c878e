using System.Data.Common;
using System.Globalization;
using Parley.Internal.Kernel;
using Parley.Internal.Messages;
using Parley.Internal.Reports;
using static Parley.Internal.Kernel.RowReaders;

namespace Parley.Internal.Analytics;

/// <summary>The rollups recounted from the messages themselves (docs/analytics.md, "Checking and rebuilding"): the
/// same <see cref="StatsDeltas"/> the writer keeps, fed every message in <c>created_at</c> order, so templates are
/// registered in the order the writer would have met them. Used by the schema's upgrade (which builds the rollups of
/// the messages already stored, eight days at a time) and by <c>parley db check</c> (which compares, and with
/// <c>--repair</c> rewrites).</summary>
internal sealed class StatsRecount : IStatsWrites
{
    public static readonly string[] Tables = ["parley_stats_counts", "parley_stats_latency", "parley_stats_errors", "parley_stats_templates"];

    public const string MessageFields = "tenant_key, created_at, channel, template, status, sent_at, delivered_at, read_at, failed_at, " +
                                        "cancelled_at, sent_implied, delivered_implied, error_code, error_at";

    private readonly StatsDeltas _deltas = new();
    private readonly Dictionary<string, List<string>> _registry = new(StringComparer.Ordinal);
    private readonly List<(string TenantKey, string Template)> _registered = [];

    public Dictionary<CountKey, long> Counts { get; } = [];
    public Dictionary<LatencyKey, long[]> Latencies { get; } = [];
    public Dictionary<ErrorKey, (long N, long LastAt)> Errors { get; } = [];

    /// <summary>Templates registered so far, in order.</summary>
    public IReadOnlyList<(string TenantKey, string Template)> Registered => _registered;

    /// <summary>Starts from templates already registered (a check keeps the registry it finds).</summary>
    public void Seed(IEnumerable<(string TenantKey, string Template)> registry)
    {
        foreach (var (t, template) in registry) List(t).Add(template);
    }

    public void Add(MessageRowView m)
    {
        var row = new MessageRow { Id = "", SessionId = "", Channel = m.Channel, Content = "", TenantKey = m.TenantKey, Template = m.Template, CreatedAt = m.CreatedAt, Delivery = m.Delivery };
        _deltas.Add(this, row, 1);
    }

    /// <summary>Moves what was added so far into <see cref="Counts"/>, <see cref="Latencies"/> and <see cref="Errors"/>.</summary>
    public void Collect()
    {
        _deltas.Flush(this);
        _deltas.Committed();
        _deltas.Reset();
    }

    /// <summary>Forgets the collected rows (written out), keeping the template registry.</summary>
    public void ClearRows()
    {
        Counts.Clear();
        Latencies.Clear();
        Errors.Clear();
        _registered.Clear();
    }

    /// <summary>A message's fields as <see cref="MessageFields"/> selects them.</summary>
    public static MessageRowView Read(DbDataReader r) => Read(r, 0);

    /// <summary>The same, from ordinal <paramref name="o"/>.</summary>
    public static MessageRowView Read(DbDataReader r, int o) => new(r.GetString(o), TimeAt(r, o + 1), r.GetString(o + 2), Str(r, o + 3), new DeliveryState
    {
        Status = WireNames.Status(r.GetString(o + 4)),
        SentAt = Time(r, o + 5),
        DeliveredAt = Time(r, o + 6),
        ReadAt = Time(r, o + 7),
        FailedAt = Time(r, o + 8),
        CancelledAt = Time(r, o + 9),
        SentImplied = Flag(r, o + 10),
        DeliveredImplied = Flag(r, o + 11),
        ErrorCode = Str(r, o + 12),
        ErrorAt = Time(r, o + 13),
    });

    void IStatsWrites.AddCounts(IReadOnlyList<(CountKey Key, long Delta)> rows)
    {
        foreach (var (k, d) in rows) Counts[k] = Counts.GetValueOrDefault(k) + d;
    }

    void IStatsWrites.AddLatencies(IReadOnlyList<(LatencyKey Key, long[] Buckets)> rows)
    {
        foreach (var (k, d) in rows)
        {
            if (!Latencies.TryGetValue(k, out var buckets)) Latencies[k] = buckets = new long[LatencySketch.BlockSize];
            for (var i = 0; i < buckets.Length; i++) buckets[i] += d[i];
        }
    }

    void IStatsWrites.AddErrors(IReadOnlyList<(ErrorKey Key, long Delta, long LastAt)> rows)
    {
        foreach (var (k, d, last) in rows)
        {
            var (n, l) = Errors.GetValueOrDefault(k);
            Errors[k] = (n + d, Math.Max(l, last));
        }
    }

    List<string> IStatsWrites.StatsTemplates(string tenantKey) => [.. List(tenantKey)];

    void IStatsWrites.AddStatsTemplate(string tenantKey, string template)
    {
        var list = List(tenantKey);
        if (list.Contains(template)) return;
        list.Add(template);
        _registered.Add((tenantKey, template));
    }

    List<MessageRow> IStatsWrites.SessionMessages(string tenantKey, string sessionId) => throw new NotSupportedException();

    private List<string> List(string tenantKey)
    {
        if (!_registry.TryGetValue(tenantKey, out var list)) _registry[tenantKey] = list = [];
        return list;
    }

    /// <summary>Builds the rollups of every stored message from nothing, on <paramref name="conn"/> (inside the
    /// caller's transaction): the tables emptied, then the messages read a cell of the coarsest grain (eight days) at a
    /// time in <c>created_at</c> order and each finished cell's rows inserted, so memory holds eight days' rows.
    /// Returns how many messages it counted.</summary>
    public static long Rebuild(DbConnection conn, SqlFlavor flavor)
    {
        foreach (var table in Tables) Exec(conn, $"DELETE FROM {table}");
        var recount = new StatsRecount();
        long counted = 0;
        DateTimeOffset? after = null;
        var coarsest = StatsCells.Grains - 1;
        while (true)
        {
            // A coarsest cell at a time: the one of the first message after the last one read.
            var next = ReadOne(conn, flavor, $"SELECT min(created_at) FROM parley_messages{(after is null ? "" : " WHERE created_at >= @p0")}", after);
            if (next is null) break;
            var cell = StatsCells.CellOf(coarsest, StatsCells.Minute(next.Value));
            var from = StatsCells.Time(cell);
            var to = StatsCells.Time(cell + StatsCells.Minutes[coarsest]);
            using (var cmd = conn.CreateCommand())
            {
                cmd.CommandText = $"SELECT {MessageFields} FROM parley_messages WHERE created_at >= @p0 AND created_at < @p1 ORDER BY created_at, row_id";
                cmd.CommandTimeout = 0;
                flavor.AddPositional(cmd.Parameters, cmd.CreateParameter, [from, to]);
                using var r = cmd.ExecuteReader();
                while (r.Read())
                {
                    recount.Add(Read(r));
                    counted++;
                }
            }
            recount.Collect();
            recount.Insert(conn, flavor);
            recount.ClearRows();
            after = to;
        }
        return counted;
    }

    /// <summary>Inserts the collected rows and registered templates (into tables that hold none of them).</summary>
    public void Insert(DbConnection conn, SqlFlavor flavor)
    {
        flavor.BulkInsert(conn, "parley_stats_counts", [.. AdoWriteStore.CountKeys, "n"],
            Counts.Where(x => x.Value != 0).Select(x => new object?[] { x.Key.TenantKey, x.Key.Grain, x.Key.Cell, x.Key.Channel, x.Key.Template, x.Key.Status, x.Value }));
        flavor.BulkInsert(conn, "parley_stats_latency", [.. AdoWriteStore.LatencyKeys, .. AdoWriteStore.BucketColumns],
            Latencies.Where(x => x.Value.Any(v => v != 0)).Select(x => AdoWriteStore.LatencyValues(x.Key, x.Value)));
        flavor.BulkInsert(conn, "parley_stats_errors", [.. AdoWriteStore.ErrorKeys, "n", "last_at"],
            Errors.Where(x => x.Value.N != 0).Select(x => new object?[] { x.Key.TenantKey, x.Key.Grain, x.Key.Cell, x.Key.Channel, x.Key.Template, x.Key.ErrorCode, x.Value.N, x.Value.LastAt }));
        flavor.BulkInsert(conn, "parley_stats_templates", ["tenant_key", "template"], _registered.Select(x => new object?[] { x.TenantKey, x.Template }));
    }

    private static DateTimeOffset? ReadOne(DbConnection conn, SqlFlavor flavor, string sql, DateTimeOffset? at)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        cmd.CommandTimeout = 0;
        if (at is { } t) flavor.AddPositional(cmd.Parameters, cmd.CreateParameter, [t]);
        var value = cmd.ExecuteScalar();
        return value is null or DBNull ? null : RowReaders.Time(value);
    }

    private static void Exec(DbConnection conn, string sql)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        cmd.CommandTimeout = 0;
        cmd.ExecuteNonQuery();
    }
}
