using Parley.Internal.Analytics;
using Parley.Internal.Messages;
using static Parley.Internal.Kernel.RowReaders;

namespace Parley.Internal.Kernel;

// AdoWriteStore: the rollup statements (IStatsWrites, docs/analytics.md).
internal abstract partial class AdoWriteStore : IStatsWrites
{
    public override IStatsWrites Stats => this;

    internal static readonly string[] CountKeys = ["tenant_key", "grain", "cell", "channel", "template", "status"];
    internal static readonly string[] LatencyKeys = ["tenant_key", "grain", "cell", "channel", "template", "kind", "block"];
    internal static readonly string[] ErrorKeys = ["tenant_key", "grain", "cell", "channel", "template", "error_code"];

    internal static readonly string[] BucketColumns = [.. Enumerable.Range(0, LatencySketch.BlockSize).Select(i => "b" + i.ToString(System.Globalization.CultureInfo.InvariantCulture))];
    private static readonly string[] N = ["n"];

    private readonly string _addCount = flavor.AddRows("parley_stats_counts", CountKeys, N, null, 1);
    private readonly string _addLatency = flavor.AddRows("parley_stats_latency", LatencyKeys, BucketColumns, null, 1);
    private readonly string _addError = flavor.AddRows("parley_stats_errors", ErrorKeys, N, "last_at", 1);
    private readonly string _statsTemplates = "SELECT template FROM parley_stats_templates WHERE tenant_key = @p0";
    private readonly string _addStatsTemplate = flavor.InsertOrKeep("parley_stats_templates", "tenant_key, template", "@p0, @p1", "tenant_key, template");
    private readonly string _sessionMessages = $"SELECT {MessageColumns} FROM parley_messages WHERE session_id = @p0 AND tenant_key = @p1";

    /// <summary>A latency row's values in <see cref="LatencyKeys"/> then <see cref="BucketColumns"/> order.</summary>
    internal static object?[] LatencyValues(LatencyKey k, long[] buckets)
    {
        var values = new object?[LatencyKeys.Length + buckets.Length];
        (values[0], values[1], values[2], values[3], values[4], values[5], values[6]) = (k.TenantKey, k.Grain, k.Cell, k.Channel, k.Template, k.Kind, k.Block);
        for (var i = 0; i < buckets.Length; i++) values[LatencyKeys.Length + i] = buckets[i];
        return values;
    }

    public void AddCounts(IReadOnlyList<(CountKey Key, long Delta)> rows) =>
        AddRows(rows, _addCount, "parley_stats_counts", CountKeys, N, null, r => [r.Key.TenantKey, r.Key.Grain, r.Key.Cell, r.Key.Channel, r.Key.Template, r.Key.Status, r.Delta]);

    public void AddLatencies(IReadOnlyList<(LatencyKey Key, long[] Buckets)> rows) =>
        AddRows(rows, _addLatency, "parley_stats_latency", LatencyKeys, BucketColumns, null, r => LatencyValues(r.Key, r.Buckets));

    public void AddErrors(IReadOnlyList<(ErrorKey Key, long Delta, long LastAt)> rows) =>
        AddRows(rows, _addError, "parley_stats_errors", ErrorKeys, N, "last_at", r => [r.Key.TenantKey, r.Key.Grain, r.Key.Cell, r.Key.Channel, r.Key.Template, r.Key.ErrorCode, r.Delta, r.LastAt]);

    // In process (SQLite) one prepared statement re-bound per row; on a server, multi-row statements in the deferred
    // batch, so a commit's rollups ride with its other writes.
    private void AddRows<T>(IReadOnlyList<T> rows, string single, string table, string[] keys, string[] sums, string? max, Func<T, object?[]> values)
    {
        if (!Connection.CanCreateBatch || rows.Count == 1)
        {
            foreach (var row in rows) Defer(single, values(row));
            return;
        }
        var perStatement = Math.Max(1, 2000 / (keys.Length + sums.Length + 1));
        foreach (var chunk in rows.Chunk(perStatement))
            Defer(Flavor.AddRows(table, keys, sums, max, chunk.Length), [.. chunk.SelectMany(values)]);
    }

    public List<string> StatsTemplates(string tenantKey) => ReadAll(Cmd(_statsTemplates, tenantKey), r => r.GetString(0));

    public void AddStatsTemplate(string tenantKey, string template) => Defer(_addStatsTemplate, tenantKey, template);

    public List<MessageRow> SessionMessages(string tenantKey, string sessionId)
    {
        Flush();
        return ReadAll(Cmd(_sessionMessages, sessionId, tenantKey), r => Message(r));
    }
}
