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
        var ch = q.Channel ?? StatsDeltas.All;
        var tp = q.Template ?? StatsDeltas.All;
        var counts = new Dictionary<(string Channel, string Template), Dictionary<MessageStatus, long>>();
        var latency = new Dictionary<(string Channel, string Template, string Kind), SortedDictionary<int, long>>();
        await using (var conn = await db.OpenAsync(ct))
        await using (await db.SnapshotAsync(conn, ct))
        {
            var where = await WhereAsync(db, conn, scope, Exact(StatsCells.Cover(q.From, q.To)), ct);
            if (where is not null)
            {
                var (sql, args) = where.Value;
                args.Add(("@mc", ch));
                args.Add(("@mt", tp));
                foreach (var (c, t, status, n) in await db.QueryRowsAsync(conn, ct,
                             $"SELECT channel, template, status, SUM(n) FROM parley_stats_counts WHERE {sql} AND (channel = @mc OR template = @mt) GROUP BY channel, template, status",
                             r => (r.GetString(0), r.GetString(1), WireNames.Status(r.GetString(2)), Convert.ToInt64(r.GetValue(3), CultureInfo.InvariantCulture)), [.. args]))
                {
                    if (!counts.TryGetValue((c, t), out var byStatus)) counts[(c, t)] = byStatus = [];
                    byStatus[status] = byStatus.GetValueOrDefault(status) + n;
                }
                foreach (var (c, t, kind, block, buckets) in await db.QueryRowsAsync(conn, ct,
                             $"SELECT channel, template, kind, block, {BucketSums} FROM parley_stats_latency WHERE {sql} AND (channel = @mc OR template = @mt) GROUP BY channel, template, kind, block",
                             r => (r.GetString(0), r.GetString(1), r.GetString(2), Convert.ToInt32(r.GetValue(3), CultureInfo.InvariantCulture), Buckets(r, 4)), [.. args]))
                {
                    if (!latency.TryGetValue((c, t, kind), out var hist)) latency[(c, t, kind)] = hist = [];
                    for (var i = 0; i < buckets.Length; i++)
                    {
                        if (buckets[i] != 0) hist[block * LatencySketch.BlockSize + i] = hist.GetValueOrDefault(block * LatencySketch.BlockSize + i) + buckets[i];
                    }
                }
            }
        }

        MessageStats Of(string c, string t) => Figures(counts.GetValueOrDefault((c, t)),
            latency.GetValueOrDefault((c, t, LatencySketch.SentToDelivered)), latency.GetValueOrDefault((c, t, LatencySketch.DeliveredToRead)));
        // The margin rows: a channel's own row holds all its templates (tp), a template's row all its channels (ch).
        var channels = counts.Keys.Where(k => k.Template == tp && k.Channel != StatsDeltas.All && (q.Channel is null || k.Channel == q.Channel))
            .Select(k => k.Channel).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Select(c => new ChannelStats(c, Of(c, tp))).Where(s => s.Stats.Messages > 0).ToList();
        var templates = counts.Keys.Where(k => k.Channel == ch && k.Template != StatsDeltas.All && (q.Template is null || k.Template == q.Template))
            .Select(k => k.Template).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Select(t => new TemplateStats(t.Length == 0 ? null : t, Of(ch, t))).Where(s => s.Stats.Messages > 0)
            .OrderBy(s => s.Template is null ? 1 : 0).ToList();
        return new StatsReport(StatsCells.Time(q.From), StatsCells.Time(q.To), q.ZoneName, LatencySketch.RelativeError, Of(ch, tp), channels, templates);
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
            var where = await WhereAsync(db, conn, scope, Ranges(dayOf.Keys), ct);
            if (where is not null)
            {
                var (sql, args) = where.Value;
                args.Add(("@mc", q.Channel ?? StatsDeltas.All));
                args.Add(("@mt", q.Template ?? StatsDeltas.All));
                foreach (var (grain, cell, status, n) in await db.QueryRowsAsync(conn, ct,
                             $"SELECT grain, cell, status, SUM(n) FROM parley_stats_counts WHERE {sql} AND channel = @mc AND template = @mt GROUP BY grain, cell, status",
                             r => (Convert.ToInt32(r.GetValue(0), CultureInfo.InvariantCulture), Convert.ToInt64(r.GetValue(1), CultureInfo.InvariantCulture),
                                 WireNames.Status(r.GetString(2)), Convert.ToInt64(r.GetValue(3), CultureInfo.InvariantCulture)), [.. args]))
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
        var where = await WhereAsync(db, conn, scope, Exact(StatsCells.Cover(q.From, q.To)), ct);
        if (where is null) return [];
        var (sql, args) = where.Value;
        args.Add(("@mc", q.Channel ?? StatsDeltas.All));
        args.Add(("@mt", q.Template ?? StatsDeltas.All));
        var rows = await db.QueryRowsAsync(conn, ct,
            $"SELECT error_code, SUM(n), MAX(last_at) FROM parley_stats_errors WHERE {sql} AND channel = @mc AND template = @mt GROUP BY error_code",
            r => (Code: r.GetString(0), N: Convert.ToInt64(r.GetValue(1), CultureInfo.InvariantCulture), LastAt: Convert.ToInt64(r.GetValue(2), CultureInfo.InvariantCulture)),
            [.. args]);
        return [.. rows.Where(r => r.N > 0).OrderByDescending(r => r.N).ThenBy(r => r.Code, StringComparer.Ordinal)
            .Select(r => new ErrorCodeStats(r.Code, r.N, DateTimeOffset.FromUnixTimeMilliseconds(r.LastAt)))];
    }

    public static async Task<IReadOnlyList<LatencyHistogram>> HistogramsAsync(this ReadDatabase db, string? scope, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        var coarsest = StatsCells.Grains - 1;
        var where = await WhereAsync(db, conn, scope, new Dictionary<int, (long, long, List<long>?)> { [coarsest] = (long.MinValue / 2, long.MaxValue / 2, null) }, ct);
        if (where is null) return [];
        var (sql, args) = where.Value;
        var hist = new SortedDictionary<(string Kind, string Channel), SortedDictionary<int, long>>();
        foreach (var (c, kind, block, buckets) in await db.QueryRowsAsync(conn, ct,
                     $"SELECT channel, kind, block, {BucketSums} FROM parley_stats_latency WHERE {sql} AND template = '{StatsDeltas.All}' AND channel <> '{StatsDeltas.All}' GROUP BY channel, kind, block",
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

    private static MessageStats Figures(Dictionary<MessageStatus, long>? counts, SortedDictionary<int, long>? s2d, SortedDictionary<int, long>? d2r)
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

    private static LatencyStats Latency(SortedDictionary<int, long>? hist)
    {
        if (hist is null) return new LatencyStats(0, null, null, null);
        var ascending = hist.Where(b => b.Value > 0).Select(b => (b.Key, b.Value)).ToList();
        var total = ascending.Sum(b => b.Value);
        return new LatencyStats(total, LatencySketch.Percentile(ascending, total, 0.5), LatencySketch.Percentile(ascending, total, 0.9),
            LatencySketch.Percentile(ascending, total, 0.99));
    }

    /// <summary>The cells of each grain, listed (the answer must not see other cells).</summary>
    private static Dictionary<int, (long Lo, long Hi, List<long>? Cells)> Exact(IEnumerable<(int Grain, long Cell)> cells) =>
        cells.GroupBy(c => c.Grain).ToDictionary(g => g.Key, g => (g.Min(c => c.Cell), g.Max(c => c.Cell), (List<long>?)[.. g.Select(c => c.Cell)]));

    /// <summary>The cells of each grain, listed when few, else as the range that holds them (the caller drops the
    /// cells it did not ask for).</summary>
    private static Dictionary<int, (long Lo, long Hi, List<long>? Cells)> Ranges(IEnumerable<(int Grain, long Cell)> cells) =>
        cells.GroupBy(c => c.Grain).ToDictionary(g => g.Key, g =>
        {
            var list = g.Select(c => c.Cell).ToList();
            return (list.Min(), list.Max(), list.Count <= 1000 ? list : null);
        });

    /// <summary>The condition on tenant and cells, or null when no tenant has figures.</summary>
    private static async Task<(string Sql, List<(string, object?)> Args)?> WhereAsync(ReadDatabase db, DbConnection conn, string? scope,
        Dictionary<int, (long Lo, long Hi, List<long>? Cells)> grains, CancellationToken ct)
    {
        var args = new List<(string, object?)>();
        var sql = new StringBuilder();
        if (scope is not null)
        {
            sql.Append("tenant_key = @tk");
            args.Add(("@tk", scope));
        }
        else
        {
            var tenants = await db.QueryRowsAsync(conn, ct, "SELECT tenant_key FROM parley_stats_templates WHERE template = ''", r => r.GetString(0));
            if (tenants.Count == 0) return null;
            sql.Append("tenant_key IN (").AppendJoin(", ", tenants.Select((_, i) => $"@tk{i}")).Append(')');
            args.AddRange(tenants.Select((t, i) => ($"@tk{i}", (object?)t)));
        }
        if (grains.Count == 0) return null;
        sql.Append(" AND (");
        var first = true;
        foreach (var (grain, (lo, hi, cells)) in grains.OrderByDescending(g => g.Key))
        {
            if (!first) sql.Append(" OR ");
            first = false;
            var g = $"@g{grain}";
            args.Add((g, grain));
            if (cells is not null)
            {
                sql.Append($"(grain = {g} AND cell IN (").AppendJoin(", ", cells.Select((_, i) => $"@c{grain}x{i}")).Append("))");
                args.AddRange(cells.Select((c, i) => ($"@c{grain}x{i}", (object?)c)));
            }
            else
            {
                sql.Append($"(grain = {g} AND cell >= @lo{grain} AND cell <= @hi{grain})");
                args.Add(($"@lo{grain}", lo));
                args.Add(($"@hi{grain}", hi));
            }
        }
        sql.Append(')');
        return (sql.ToString(), args);
    }
}
