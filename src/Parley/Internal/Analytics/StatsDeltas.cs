using Parley.Internal.Messages;
using Parley.Internal.Reports;

namespace Parley.Internal.Analytics;

/// <summary>The rollup changes of one writer transaction, kept per quarter hour and written at <see cref="Flush"/>
/// to every grain (<see cref="StatsCells"/>) in a few statements. Cleared with the transaction; the templates it
/// registered become known to the writer only once the transaction commits.</summary>
internal sealed class StatsDeltas
{
    /// <summary>The templates a tenant's figures show on their own; later ones count as <see cref="Other"/>.</summary>
    public const int TemplateCap = 200;

    public const string Other = "__other__";

    private readonly Dictionary<(string TenantKey, long Quarter, string Channel, string Template, string Status), long> _counts = [];
    private readonly Dictionary<(string TenantKey, long Quarter, string Channel, string Template, string Kind, int Bucket), long> _latency = [];
    private readonly Dictionary<(string TenantKey, long Quarter, string Channel, string Template, string Code), (long N, long LastAt)> _errors = [];

    // Templates known to be registered, per tenant (committed), and those this transaction registered.
    private readonly Dictionary<string, HashSet<string>> _templates = new(StringComparer.Ordinal);
    private readonly List<(string TenantKey, string Template)> _pending = [];

    // The last count changed and its delta so far, not yet in _counts: a batch's messages mostly share one key, so
    // most messages cost a comparison, not two dictionary lookups (measured in docs/benchmarks.md, "analytics rollups").
    private (string TenantKey, long Quarter, string Channel, string Template, string Status) _last;
    private long _lastDelta;

    // The template the last message counted under (cleared with each transaction, whose registrations may roll back).
    private string? _memoTenant, _memoTemplate, _memoResult;

    public void Reset()
    {
        _last = default;
        _lastDelta = 0;
        _memoTenant = _memoTemplate = _memoResult = null;
        _counts.Clear();
        _latency.Clear();
        _errors.Clear();
        _pending.Clear();
    }

    /// <summary>Called once the transaction committed: what it registered is known from now on.</summary>
    public void Committed()
    {
        foreach (var (tenantKey, template) in _pending) Known(tenantKey).Add(template);
        _pending.Clear();
    }

    /// <summary>A message stored (+1) or removed (−1), with its current state.</summary>
    public void Add(IStatsWrites store, MessageRow m, int sign) => Add(StatsContribution.Of(MessageRowView.Of(m), TemplateOf(store, m.TenantKey, m.Template)), sign);

    /// <summary>A message's delivery state changed from <paramref name="before"/> to its current one.</summary>
    public void Change(IStatsWrites store, MessageRow m, DeliveryState before)
    {
        if (before == m.Delivery) return;
        var template = TemplateOf(store, m.TenantKey, m.Template);
        var view = MessageRowView.Of(m);
        var old = StatsContribution.Of(view with { Delivery = before }, template);
        var now = StatsContribution.Of(view, template);
        if (old == now) return;
        Add(old, -1);
        Add(now, 1);
    }

    private void Add(in StatsContribution c, int sign)
    {
        if (_last.Quarter == c.Quarter && string.Equals(_last.Status, c.Status, StringComparison.Ordinal) && string.Equals(_last.Template, c.Template, StringComparison.Ordinal)
            && string.Equals(_last.Channel, c.Channel, StringComparison.Ordinal) && string.Equals(_last.TenantKey, c.TenantKey, StringComparison.Ordinal))
        {
            _lastDelta += sign;
        }
        else
        {
            TakeLast();
            _last = (c.TenantKey, c.Quarter, c.Channel, c.Template, c.Status);
            _lastDelta = sign;
        }
        if (c.SentToDelivered is { } s2d) AddLatency(c, LatencySketch.SentToDelivered, s2d, sign);
        if (c.DeliveredToRead is { } d2r) AddLatency(c, LatencySketch.DeliveredToRead, d2r, sign);
        if (c.ErrorCode is { } code)
        {
            var key = (c.TenantKey, c.Quarter, c.Channel, c.Template, code);
            var (n, last) = _errors.GetValueOrDefault(key);
            _errors[key] = (n + sign, sign > 0 ? Math.Max(last, c.ErrorAt) : last);
        }
    }

    private void TakeLast()
    {
        if (_last.Status is null) return;
        _counts[_last] = _counts.GetValueOrDefault(_last) + _lastDelta;
        _last = default;
        _lastDelta = 0;
    }

    private void AddLatency(in StatsContribution c, string kind, double ms, int sign)
    {
        var key = (c.TenantKey, c.Quarter, c.Channel, c.Template, kind, LatencySketch.Bucket(ms));
        _latency[key] = _latency.GetValueOrDefault(key) + sign;
    }

    /// <summary>The template a message counts under: its own while the tenant has fewer than
    /// <see cref="TemplateCap"/>, else <see cref="Other"/>; <c>''</c> for none. Registers the tenant and the template
    /// on first sight.</summary>
    private string TemplateOf(IStatsWrites store, string tenantKey, string? template)
    {
        if (_memoResult is not null && string.Equals(template, _memoTemplate, StringComparison.Ordinal) && string.Equals(tenantKey, _memoTenant, StringComparison.Ordinal))
            return _memoResult;
        var result = MapTemplate(store, tenantKey, template);
        (_memoTenant, _memoTemplate, _memoResult) = (tenantKey, template, result);
        return result;
    }

    private string MapTemplate(IStatsWrites store, string tenantKey, string? template)
    {
        var known = Known(tenantKey);
        if (known.Count == 0) Refresh(store, tenantKey, known);
        if (!Has(tenantKey, known, "")) Register(store, tenantKey, "");
        if (template is null) return "";
        // A template named like the margin row counts with the templates past the cap.
        if (template == All) return Other;
        if (Has(tenantKey, known, template)) return template;
        if (Registered(tenantKey, known) - 1 >= TemplateCap) return Other;
        Refresh(store, tenantKey, known);
        if (Has(tenantKey, known, template)) return template;
        if (Registered(tenantKey, known) - 1 >= TemplateCap) return Other;
        Register(store, tenantKey, template);
        return template;
    }

    private bool Has(string tenantKey, HashSet<string> known, string template) =>
        known.Contains(template) || _pending.Contains((tenantKey, template));

    private int Registered(string tenantKey, HashSet<string> known) =>
        known.Count + _pending.Count(p => p.TenantKey == tenantKey && !known.Contains(p.Template));

    private void Register(IStatsWrites store, string tenantKey, string template)
    {
        store.AddStatsTemplate(tenantKey, template);
        _pending.Add((tenantKey, template));
    }

    private static void Refresh(IStatsWrites store, string tenantKey, HashSet<string> known)
    {
        foreach (var t in store.StatsTemplates(tenantKey)) known.Add(t);
    }

    private HashSet<string> Known(string tenantKey)
    {
        if (!_templates.TryGetValue(tenantKey, out var set)) _templates[tenantKey] = set = new HashSet<string>(StringComparer.Ordinal);
        return set;
    }

    /// <summary>The value of <c>channel</c> and <c>template</c> in the count and error rows that hold every channel or
    /// every template: each change is also added to those, so a day's figures, with or without a filter, read one row
    /// per cell and status. Latency rows are kept for each (channel, template) only: the window answers read those
    /// and merge them.</summary>
    public const string All = "*";

    /// <summary>The (channel, template) rows a message's change goes to: its own, all templates of its channel, all
    /// channels of its template, and all.</summary>
    private static (string Channel, string Template)[] Margins(string channel, string template) =>
        [(channel, template), (channel, All), (All, template), (All, All)];

    /// <summary>Writes the transaction's changes to every grain and margin, just before commit.</summary>
    public void Flush(IStatsWrites store)
    {
        TakeLast();
        if (_counts.Count > 0)
        {
            var rows = new Dictionary<CountKey, long>();
            foreach (var ((t, q, ch, tp, st), d) in _counts)
            {
                if (d == 0) continue;
                foreach (var (mc, mt) in Margins(ch, tp))
                {
                    for (var g = 0; g < StatsCells.Grains; g++)
                    {
                        var key = new CountKey(t, g, StatsCells.CellOf(g, q), mc, mt, st);
                        rows[key] = rows.GetValueOrDefault(key) + d;
                    }
                }
            }
            var changed = rows.Where(r => r.Value != 0).Select(r => (r.Key, r.Value)).OrderBy(r => r.Key, KeyOrder<CountKey>.Instance).ToList();
            if (changed.Count > 0) store.AddCounts(changed);
        }
        if (_latency.Count > 0)
        {
            var rows = new Dictionary<LatencyKey, long[]>();
            foreach (var ((t, q, ch, tp, kind, b), d) in _latency)
            {
                if (d == 0) continue;
                var block = LatencySketch.BlockOf(b);
                var slot = b - block * LatencySketch.BlockSize;
                for (var g = 0; g < StatsCells.Grains; g++)
                {
                    var key = new LatencyKey(t, g, StatsCells.CellOf(g, q), ch, tp, kind, block);
                    if (!rows.TryGetValue(key, out var buckets)) rows[key] = buckets = new long[LatencySketch.BlockSize];
                    buckets[slot] += d;
                }
            }
            var changed = rows.Where(r => r.Value.Any(v => v != 0)).Select(r => (r.Key, r.Value)).OrderBy(r => r.Key, KeyOrder<LatencyKey>.Instance).ToList();
            if (changed.Count > 0) store.AddLatencies(changed);
        }
        if (_errors.Count > 0)
        {
            var rows = new Dictionary<ErrorKey, (long N, long LastAt)>();
            foreach (var ((t, q, ch, tp, code), (n, last)) in _errors)
            {
                if (n == 0 && last == 0) continue;
                foreach (var (mc, mt) in Margins(ch, tp))
                {
                    for (var g = 0; g < StatsCells.Grains; g++)
                    {
                        var key = new ErrorKey(t, g, StatsCells.CellOf(g, q), mc, mt, code);
                        var (rn, rl) = rows.GetValueOrDefault(key);
                        rows[key] = (rn + n, Math.Max(rl, last));
                    }
                }
            }
            if (rows.Count > 0) store.AddErrors([.. rows.OrderBy(r => r.Key, KeyOrder<ErrorKey>.Instance).Select(r => (r.Key, r.Value.N, r.Value.LastAt))]);
        }
    }
}

/// <summary>One order for rollup rows in every process (field by field, text ordinal), so two writers to one server
/// database lock the rows they both change in the same order and never deadlock on them.</summary>
internal sealed class KeyOrder<T> : IComparer<T> where T : struct
{
    public static KeyOrder<T> Instance { get; } = new();

    public int Compare(T x, T y) => (x, y) switch
    {
        (CountKey a, CountKey b) => Chain(Dims(a.TenantKey, a.Grain, a.Cell, a.Channel, a.Template, b.TenantKey, b.Grain, b.Cell, b.Channel, b.Template), string.CompareOrdinal(a.Status, b.Status)),
        (LatencyKey a, LatencyKey b) => Chain(Dims(a.TenantKey, a.Grain, a.Cell, a.Channel, a.Template, b.TenantKey, b.Grain, b.Cell, b.Channel, b.Template),
            Chain(string.CompareOrdinal(a.Kind, b.Kind), a.Block.CompareTo(b.Block))),
        (ErrorKey a, ErrorKey b) => Chain(Dims(a.TenantKey, a.Grain, a.Cell, a.Channel, a.Template, b.TenantKey, b.Grain, b.Cell, b.Channel, b.Template), string.CompareOrdinal(a.ErrorCode, b.ErrorCode)),
        _ => 0,
    };

    private static int Dims(string t1, int g1, long c1, string ch1, string tp1, string t2, int g2, long c2, string ch2, string tp2) =>
        Chain(string.CompareOrdinal(t1, t2), Chain(g1.CompareTo(g2), Chain(c1.CompareTo(c2), Chain(string.CompareOrdinal(ch1, ch2), string.CompareOrdinal(tp1, tp2)))));

    private static int Chain(int first, int then) => first != 0 ? first : then;
}
