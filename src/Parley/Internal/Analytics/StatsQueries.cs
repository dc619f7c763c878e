using System.Data.Common;
using System.Globalization;
using System.Text;
using Parley.Internal.Kernel;

namespace Parley.Internal.Analytics;

/// <summary>The reads of the rollups (docs/analytics.md): a window's cells (<see cref="StatsCells.Cover"/>), summed in
/// the database over the rows of the margin each answer needs, in one snapshot. A scope (a tenant key) reads its
/// tenant's rows; no scope, every tenant's.</summary>
internal static class StatsQueries
{
    private static readonly MessageStatus[] Statuses = Enum.GetValues<MessageStatus>();
    private static readonly string BucketSums = string.Join(", ", AdoWriteStore.BucketColumns.Select(c => $"SUM({c})"));

    public static async Task<StatsReport> StatsAsync(this ReadDatabase db, string? scope, StatsRequest q, CancellationToken ct)
    {
        // The (channel, template) rows of the window's cells, merged here into overall, by channel and by template.
        var counts = new Dictionary<(string Channel, string Template), Dictionary<MessageStatus, long>>();
        var latency = new Dictionary<(string Channel, string Template, string Kind), SortedDictionary<int, long>>();
        var filter = $" AND channel <> '{StatsDeltas.All}' AND template <> '{StatsDeltas.All}'" + (q.Channel is null ? "" : " AND channel = @ch") + (q.Template is null ? "" : " AND template = @tp");
        (string, object?)[] filters = [("@ch", q.Channel), ("@tp", q.Template)];
        await using (var conn = await db.OpenAsync(ct))
        await using (await db.SnapshotAsync(conn, ct))
        {
            foreach (var (sql, args) in await WhereAsync(db, conn, scope, Exact(StatsCells.Cover(q.From, q.To)), ct))
            {
                foreach (var (c, t, status, n) in await db.QueryRowsAsync(conn, ct,
                             $"SELECT channel, template, status, SUM(n) FROM parley_stats_counts WHERE {sql}{filter} GROUP BY channel, template, status",
                             r => (r.GetString(0), r.GetString(1), WireNames.Status(r.GetString(2)), Convert.ToInt64(r.GetValue(3), CultureInfo.InvariantCulture)), [.. args, .. filters]))
                {
                    if (!counts.TryGetValue((c, t), out var byStatus)) counts[(c, t)] = byStatus = [];
                    byStatus[status] = byStatus.GetValueOrDefault(status) + n;
                }
                foreach (var (c, t, kind, block, buckets) in await db.QueryRowsAsync(conn, ct,
                             $"SELECT channel, template, kind, block, {BucketSums} FROM parley_stats_latency WHERE {sql}{(q.Channel is null ? "" : " AND channel = @ch")}{(q.Template is null ? "" : " AND template = @tp")} GROUP BY channel, template, kind, block",
                             r => (r.GetString(0), r.GetString(1), r.GetString(2), Convert.ToInt32(r.GetValue(3), CultureInfo.InvariantCulture), Buckets(r, 4)), [.. args, .. filters]))
                {
                    if (!latency.TryGetValue((c, t, kind), out var hist)) latency[(c, t, kind)] = hist = [];
                    for (var i = 0; i < buckets.Length; i++)
                    {
                        if (buckets[i] != 0) hist[block * LatencySketch.BlockSize + i] = hist.GetValueOrDefault(block * LatencySketch.BlockSize + i) + buckets[i];
                    }
                }
            }
        }

        MessageStats Of(Func<string, string, bool> take) => Figures(
            Merge(counts.Where(p => take(p.Key.Channel, p.Key.Template)).Select(p => p.Value)),
            Merge(latency.Where(p => p.Key.Kind == LatencySketch.SentToDelivered && take(p.Key.Channel, p.Key.Template)).Select(p => p.Value)),
            Merge(latency.Where(p => p.Key.Kind == LatencySketch.DeliveredToRead && take(p.Key.Channel, p.Key.Template)).Select(p => p.Value)));
        var channels = counts.Keys.Select(k => k.Channel).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Select(c => new ChannelStats(c, Of((ch, _) => ch == c))).Where(s => s.Stats.Messages > 0).ToList();
        var templates = counts.Keys.Select(k => k.Template).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Select(t => new TemplateStats(t.Length == 0 ? null : t, Of((_, tp) => tp == t))).Where(s => s.Stats.Messages > 0)
            .OrderBy(s => s.Template is null ? 1 : 0).ToList();
        return new StatsReport(StatsCells.Time(q.From), StatsCells.Time(q.To), q.ZoneName, LatencySketch.RelativeError, Of((_, _) => true), channels, templates);
    }

    private static Dictionary<TKey, long> Merge<TKey>(IEnumerable<IDictionary<TKey, long>> parts) where TKey : notnull
    {
        var merged = new Dictionary<TKey, long>();
        foreach (var part in parts)
        {
            foreach (var (key, n) in part) merged[key] = merged.GetValueOrDefault(key) + n;
        }
        return merged;
    }

    public static async Task<DailyStats> DailyAsync(this ReadDatabase db, string? scope, StatsRequest q, CancellationToken ct)
    {
        // Each cell belongs to one local day.
        var dayOf = new Dictionary<(int Grain, long Cell), int>();
        for (var i = 0; i < q.Days.Count; i++)
        {
            foreach (var cell in StatsCells.Cover(q.Days[i].From, q.Days[i].To)) dayOf[cell] = i;
        }
        var counts = new Dictionary<MessageStatus, long>[q.Days.Count];
        for (var i = 0; i < counts.Length; i++) counts[i] = [];
        await using (var conn = await db.OpenAsync(ct))
        await using (await db.SnapshotAsync(conn, ct))
        {
            foreach (var (sql, args) in await WhereAsync(db, conn, scope, Exact(dayOf.Keys), ct))
            {
                foreach (var (grain, cell, status, n) in await db.QueryRowsAsync(conn, ct,
                             $"SELECT grain, cell, status, SUM(n) FROM parley_stats_counts WHERE {sql} AND channel = @mc AND template = @mt GROUP BY grain, cell, status",
                             r => (Convert.ToInt32(r.GetValue(0), CultureInfo.InvariantCulture), Convert.ToInt64(r.GetValue(1), CultureInfo.InvariantCulture),
                                 WireNames.Status(r.GetString(2)), Convert.ToInt64(r.GetValue(3), CultureInfo.InvariantCulture)),
                             [.. args, ("@mc", q.Channel ?? StatsDeltas.All), ("@mt", q.Template ?? StatsDeltas.All)]))
                {
                    if (!dayOf.TryGetValue((grain, cell), out var day)) continue;
                    counts[day][status] = counts[day].GetValueOrDefault(status) + n;
                }
            }
        }
        var days = q.Days.Select((d, i) =>
        {
            var f = Figures(counts[i], null, null);
            return new DayStats(d.Date, f.Messages, f.StatusCounts, f.DeliveryRate);
        }).ToList();
        return new DailyStats(q.ZoneName, days);
    }

    public static async Task<IReadOnlyList<ErrorCodeStats>> ErrorsAsync(this ReadDatabase db, string? scope, StatsRequest q, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        await using var snapshot = await db.SnapshotAsync(conn, ct);
        var codes = new Dictionary<string, (long N, long LastAt)>(StringComparer.Ordinal);
        foreach (var (sql, args) in await WhereAsync(db, conn, scope, Exact(StatsCells.Cover(q.From, q.To)), ct))
        {
            foreach (var (code, n, last) in await db.QueryRowsAsync(conn, ct,
                         $"SELECT error_code, SUM(n), MAX(last_at) FROM parley_stats_errors WHERE {sql} AND channel = @mc AND template = @mt GROUP BY error_code",
                         r => (r.GetString(0), Convert.ToInt64(r.GetValue(1), CultureInfo.InvariantCulture), Convert.ToInt64(r.GetValue(2), CultureInfo.InvariantCulture)),
                         [.. args, ("@mc", q.Channel ?? StatsDeltas.All), ("@mt", q.Template ?? StatsDeltas.All)]))
            {
                var (sum, latest) = codes.GetValueOrDefault(code);
                codes[code] = (sum + n, Math.Max(latest, last));
            }
        }
        return [.. codes.Where(c => c.Value.N > 0).OrderByDescending(c => c.Value.N).ThenBy(c => c.Key, StringComparer.Ordinal)
            .Select(c => new ErrorCodeStats(c.Key, c.Value.N, DateTimeOffset.FromUnixTimeMilliseconds(c.Value.LastAt)))];
    }

    public static async Task<IReadOnlyList<LatencyHistogram>> HistogramsAsync(this ReadDatabase db, string? scope, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        var coarsest = StatsCells.Grains - 1;
        var hist = new SortedDictionary<(string Kind, string Channel), SortedDictionary<int, long>>();
        foreach (var (sql, args) in await WhereAsync(db, conn, scope, new Dictionary<int, (long, long, List<long>?)> { [coarsest] = (long.MinValue / 2, long.MaxValue / 2, null) }, ct))
        foreach (var (c, kind, block, buckets) in await db.QueryRowsAsync(conn, ct,
                     $"SELECT channel, kind, block, {BucketSums} FROM parley_stats_latency WHERE {sql} GROUP BY channel, kind, block",
                     r => (r.GetString(0), r.GetString(1), Convert.ToInt32(r.GetValue(2), CultureInfo.InvariantCulture), Buckets(r, 3)), [.. args]))
        {
            if (!hist.TryGetValue((kind, c), out var h)) hist[(kind, c)] = h = [];
            for (var i = 0; i < buckets.Length; i++)
            {
                if (buckets[i] != 0) h[block * LatencySketch.BlockSize + i] = h.GetValueOrDefault(block * LatencySketch.BlockSize + i) + buckets[i];
            }
        }
        return [.. hist.Select(h => new LatencyHistogram(h.Key.Kind, h.Key.Channel,
            [.. h.Value.Where(b => b.Value > 0).Select(b => new LatencyBucket(LatencySketch.UpperBound(b.Key), LatencySketch.Value(b.Key), b.Value))]))];
    }

    private static long[] Buckets(DbDataReader r, int from)
    {
        var buckets = new long[LatencySketch.BlockSize];
        for (var i = 0; i < buckets.Length; i++) buckets[i] = r.IsDBNull(from + i) ? 0 : Convert.ToInt64(r.GetValue(from + i), CultureInfo.InvariantCulture);
        return buckets;
    }

    private static MessageStats Figures(Dictionary<MessageStatus, long>? counts, IDictionary<int, long>? s2d, IDictionary<int, long>? d2r)
    {
        var byStatus = Statuses.ToDictionary(s => s, s => counts?.GetValueOrDefault(s) ?? 0);
        long N(MessageStatus s) => byStatus[s];
        var outcomes = N(MessageStatus.Sent) + N(MessageStatus.Delivered) + N(MessageStatus.Read) + N(MessageStatus.Failed);
        var reached = N(MessageStatus.Delivered) + N(MessageStatus.Read);
        return new MessageStats(byStatus.Values.Sum(), byStatus,
            Rate(reached, outcomes), Rate(N(MessageStatus.Read), reached), Rate(N(MessageStatus.Failed), outcomes),
            Latency(s2d), Latency(d2r));
    }

    private static double? Rate(long part, long whole) => whole == 0 ? null : (double)part / whole;

    private static LatencyStats Latency(IDictionary<int, long>? hist)
    {
        if (hist is null) return new LatencyStats(0, null, null, null);
        var ascending = hist.Where(b => b.Value > 0).OrderBy(b => b.Key).Select(b => (b.Key, b.Value)).ToList();
        var total = ascending.Sum(b => b.Value);
        return new LatencyStats(total, LatencySketch.Percentile(ascending, total, 0.5), LatencySketch.Percentile(ascending, total, 0.9),
            LatencySketch.Percentile(ascending, total, 0.99));
    }

    /// <summary>The cells of each grain, listed (the answer must not see other cells).</summary>
    private static Dictionary<int, (long Lo, long Hi, List<long>? Cells)> Exact(IEnumerable<(int Grain, long Cell)> cells) =>
        cells.GroupBy(c => c.Grain).ToDictionary(g => g.Key, g => (g.Min(c => c.Cell), g.Max(c => c.Cell), (List<long>?)[.. g.Select(c => c.Cell)]));


    /// <summary>The conditions on tenant and cells, one per grain (each an index range of the rollups' keys, which
    /// lead with tenant, grain and cell); none when no tenant has figures.</summary>
    private static async Task<List<(string Sql, (string, object?)[] Args)>> WhereAsync(ReadDatabase db, DbConnection conn, string? scope,
        Dictionary<int, (long Lo, long Hi, List<long>? Cells)> grains, CancellationToken ct)
    {
        var tenantArgs = new List<(string, object?)>();
        string tenant;
        if (scope is not null)
        {
            tenant = "tenant_key = @tk";
            tenantArgs.Add(("@tk", scope));
        }
        else
        {
            var tenants = await db.QueryRowsAsync(conn, ct, "SELECT tenant_key FROM parley_stats_templates WHERE template = ''", r => r.GetString(0));
            if (tenants.Count == 0) return [];
            tenant = tenants.Count == 1 ? "tenant_key = @tk0" : "tenant_key IN (" + string.Join(", ", tenants.Select((_, i) => $"@tk{i}")) + ")";
            tenantArgs.AddRange(tenants.Select((t, i) => ($"@tk{i}", (object?)t)));
        }
        var conditions = new List<(string, (string, object?)[])>();
        foreach (var (grain, (lo, hi, cells)) in grains.OrderByDescending(g => g.Key))
        {
            // Cells are looked up one by one (every key of the rollups leads with tenant, grain and cell), at most
            // 500 to a query; a range is for reading every cell of a grain.
            foreach (var chunk in cells is null ? [(long[]?)null] : cells.Chunk(500).Select(c => (long[]?)c))
            {
                var args = new List<(string, object?)>(tenantArgs) { ("@g", grain) };
                var sql = new StringBuilder(tenant).Append(" AND grain = @g AND ");
                if (chunk is not null)
                {
                    sql.Append("cell IN (").AppendJoin(", ", chunk.Select((_, i) => $"@c{i}x")).Append(')');
                    args.AddRange(chunk.Select((c, i) => ($"@c{i}x", (object?)c)));
                }
                else
                {
                    sql.Append("cell >= @lo AND cell <= @hi");
                    args.Add(("@lo", lo));
                    args.Add(("@hi", hi));
                }
                conditions.Add((sql.ToString(), [.. args]));
            }
        }
        return conditions;
    }
}
