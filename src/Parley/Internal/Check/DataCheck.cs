using System.Data.Common;
using System.Globalization;
using Parley.Internal.Kernel;
using Parley.Internal.Messages;
using Parley.Internal.Reports;
using static Parley.Internal.Kernel.RowReaders;

namespace Parley.Internal.Check;

/// <summary>The data check (docs/cli.md, "db": <c>db check</c>), the same on every engine: the engine's own integrity
/// check, orphans, each session's summary against real counts, and each message's delivery state against the lifecycle
/// replayed over its events in the order they were recorded (the writer applied them in that order, through the same
/// rules). Repair recomputes what is derived — summaries, summary counts, delivery states — in one transaction; it
/// never deletes rows.</summary>
internal sealed class DataCheck(DbConnection conn, LedgerEngine engine)
{
    private readonly SqlFlavor flavor = engine.Flavor;

    // The delivery states the events give, for the messages whose stored state differs.
    private readonly Dictionary<(string TenantKey, string Id), DeliveryState> _replayed = [];

    /// <summary>Checks the database at <paramref name="url"/> (and with <paramref name="repair"/>, recomputes what is
    /// derived) on a connection of its own.</summary>
    public static List<CheckFinding> Run(DatabaseUrl url, bool repair)
    {
        var engine = LedgerEngine.For(url);
        using var conn = engine.Connect(url);
        return new DataCheck(conn, engine).Run(repair);
    }

    public List<CheckFinding> Run(bool repair)
    {
        var findings = new List<CheckFinding>();
        var integrity = engine.CheckIntegrity(conn);
        findings.AddRange(integrity.Problems.Select(p => new CheckFinding("integrity", p, false)));
        // A database the engine cannot even check (a damaged SQLite header or schema page): that is the finding.
        if (integrity.Unreadable) return findings;
        Orphans(findings);
        if (repair) Exec(flavor.BeginWrite);
        try
        {
            Summaries(findings, repair);
            // Status counts follow each message's status as its events give it, so a status repaired below is
            // counted as it will be, and a status broken by hand is one finding, not two.
            var statusCounts = Statuses(findings, repair);
            Facets(findings, repair, statusCounts);
            Rollups(findings, repair, _replayed);
            if (repair) Exec("COMMIT");
        }
        catch
        {
            if (repair) Exec("ROLLBACK");
            throw;
        }
        return findings;
    }

    /// <summary>The tables an engine's integrity check looks at.</summary>
    public static readonly string[] Tables = ["parley_sessions", "parley_session_facets", "parley_messages", "parley_message_events", "parley_parked_reports", "parley_system_events"];

    private void Orphans(List<CheckFinding> findings)
    {
        (string Sql, string What)[] orphans =
        [
            ("SELECT count(*) FROM parley_messages m WHERE NOT EXISTS (SELECT 1 FROM parley_sessions s WHERE s.tenant_key = m.tenant_key AND s.id = m.session_id)", "messages without their session"),
            ("SELECT count(*) FROM parley_message_events e WHERE NOT EXISTS (SELECT 1 FROM parley_messages m WHERE m.tenant_key = e.tenant_key AND m.id = e.message_id)", "events without their message"),
            ("SELECT count(*) FROM parley_session_facets f WHERE NOT EXISTS (SELECT 1 FROM parley_sessions s WHERE s.tenant_key = f.tenant_key AND s.id = f.session_id)", "summary counts without their session"),
        ];
        foreach (var (sql, what) in orphans)
        {
            var n = Query(sql, r => Long(r, 0))[0];
            if (n > 0) findings.Add(new("orphans", $"{n.ToString(CultureInfo.InvariantCulture)} {what}", false));
        }
    }

    private sealed record Summary(long Count, long LastSeq, DateTimeOffset? First, DateTimeOffset? Last, long UnreadAgent, long UnreadUser);

    private void Summaries(List<CheckFinding> findings, bool repair)
    {
        var rows = Query(
            "SELECT s.id, s.message_count, s.last_seq, s.first_message_at, s.last_message_at, s.unread_for_agent, s.unread_for_user, " +
            "(SELECT count(*) FROM parley_messages m WHERE m.tenant_key = s.tenant_key AND m.session_id = s.id), " +
            "(SELECT coalesce(max(m.session_seq), 0) FROM parley_messages m WHERE m.tenant_key = s.tenant_key AND m.session_id = s.id), " +
            "(SELECT min(m.created_at) FROM parley_messages m WHERE m.tenant_key = s.tenant_key AND m.session_id = s.id), " +
            "(SELECT max(m.created_at) FROM parley_messages m WHERE m.tenant_key = s.tenant_key AND m.session_id = s.id), " +
            "(SELECT count(*) FROM parley_messages m WHERE m.tenant_key = s.tenant_key AND m.session_id = s.id AND m.session_seq > s.agent_read_seq AND m.sender_type = 'user'), " +
            "(SELECT count(*) FROM parley_messages m WHERE m.tenant_key = s.tenant_key AND m.session_id = s.id AND m.session_seq > s.user_read_seq AND m.sender_type <> 'user'), " +
            "s.tenant_key FROM parley_sessions s ORDER BY s.tenant_key, s.id",
            r => (Id: r.GetString(0), TenantKey: r.GetString(13),
                Stored: new Summary(Long(r, 1), Long(r, 2), Time(r, 3), Time(r, 4), Long(r, 5), Long(r, 6)),
                Real: new Summary(Long(r, 7), Long(r, 8), Time(r, 9), Time(r, 10), Long(r, 11), Long(r, 12))), (findings, "session"));
        // last_seq never goes back: messages removed by retention leave it above the highest one left.
        foreach (var (id, tenantKey, stored, real) in rows.Select(x => (x.Id, x.TenantKey, x.Stored, Real: x.Real with { LastSeq = Math.Max(x.Real.LastSeq, x.Stored.LastSeq) }))
                     .Where(x => x.Stored != x.Real))
        {
            findings.Add(new("summaries", $"session {Name(tenantKey, id)}: stored {Describe(stored)}, real {Describe(real)}", true, repair));
            if (!repair) continue;
            Exec("UPDATE parley_sessions SET message_count = @p0, last_seq = @p1, first_message_at = @p2, last_message_at = @p3, " +
                 "unread_for_agent = @p4, unread_for_user = @p5 WHERE tenant_key = @p7 AND id = @p6",
                real.Count, real.LastSeq, real.First, real.Last, real.UnreadAgent, real.UnreadUser, id, tenantKey);
        }
    }

    /// <summary>A session or message named in a finding: its id, and its tenant when it has one.</summary>
    private static string Name(string tenantKey, string id) => tenantKey.Length == 0 ? id : $"{id} (tenant {tenantKey})";

    private static string Describe(Summary s) => string.Create(CultureInfo.InvariantCulture,
        $"{s.Count} messages, last seq {s.LastSeq}, {s.UnreadAgent}/{s.UnreadUser} unread (agent/user)");

    // Facet keys: ((tenant key, session id), facet, value).
    private void Facets(List<CheckFinding> findings, bool repair, Dictionary<((string, string), string, string), long> statusCounts)
    {
        var stored = Query("SELECT session_id, facet, value, n, tenant_key FROM parley_session_facets WHERE n <> 0",
            r => (Key: ((r.GetString(4), r.GetString(0)), r.GetString(1), r.GetString(2)), N: Long(r, 3)), (findings, "summary counts")).ToDictionary(x => x.Key, x => x.N);
        var real = new Dictionary<((string, string), string, string), long>(statusCounts);
        foreach (var (facet, column) in (ValueTuple<string, string>[])[("channel", "channel"), ("template", "template")])
        {
            foreach (var (key, n) in Query($"SELECT session_id, {column}, count(*), tenant_key FROM parley_messages WHERE {column} IS NOT NULL GROUP BY tenant_key, session_id, {column}",
                         r => (Key: ((r.GetString(3), r.GetString(0)), facet, r.GetString(1)), N: Long(r, 2))))
                real[key] = n;
        }
        var wrong = stored.Keys.Union(real.Keys).Where(k => stored.GetValueOrDefault(k) != real.GetValueOrDefault(k)).ToList();
        foreach (var session in wrong.Select(k => k.Item1).Distinct().OrderBy(k => k.Item1, StringComparer.Ordinal).ThenBy(k => k.Item2, StringComparer.Ordinal))
        {
            var diffs = wrong.Where(k => k.Item1 == session)
                .Select(k => $"{k.Item2} {k.Item3}: stored {stored.GetValueOrDefault(k)}, real {real.GetValueOrDefault(k)}");
            findings.Add(new("summary counts", $"session {Name(session.Item1, session.Item2)}: {string.Join("; ", diffs)}", true, repair));
            if (!repair) continue;
            Exec("DELETE FROM parley_session_facets WHERE tenant_key = @p0 AND session_id = @p1", session.Item1, session.Item2);
            foreach (var (key, n) in real.Where(x => x.Key.Item1 == session))
                Exec("INSERT INTO parley_session_facets (tenant_key, session_id, facet, value, n) VALUES (@p0, @p1, @p2, @p3, @p4)", key.Item1.Item1, key.Item1.Item2, key.Item2, key.Item3, n);
        }
    }

    /// <summary>The analytics rollups (docs/analytics.md, "Checking and rebuilding") against a recount of the messages
    /// as they are now (after any repair above): one finding per table that differs, naming the first differences.
    /// Repair rebuilds them all. An error code's <c>last_at</c> only grows, so it differs only when it is earlier than
    /// the recount's.</summary>
    private void Rollups(List<CheckFinding> findings, bool repair, Dictionary<(string TenantKey, string Id), DeliveryState> replayed)
    {
        var recount = new Analytics.StatsRecount();
        recount.Seed(Query("SELECT tenant_key, template FROM parley_stats_templates", r => (r.GetString(0), r.GetString(1))));
        // Each message as its events give it (a status broken by hand is one finding, not two); a row Parley cannot
        // read is already a finding of the status check, and is left out here.
        foreach (var m in Query($"SELECT id, {Analytics.StatsRecount.MessageFields} FROM parley_messages ORDER BY created_at, row_id", Readable))
        {
            if (m is not { } row) continue;
            recount.Add(replayed.TryGetValue((row.Row.TenantKey, row.Id), out var state) ? row.Row with { Delivery = state } : row.Row);
        }
        recount.Collect();

        var counts = Query("SELECT tenant_key, grain, cell, channel, template, status, n FROM parley_stats_counts WHERE n <> 0",
            r => (Key: new Analytics.CountKey(r.GetString(0), (int)Long(r, 1), Long(r, 2), r.GetString(3), r.GetString(4), r.GetString(5)), N: Long(r, 6)))
            .ToDictionary(x => x.Key, x => x.N);
        var latency = Query($"SELECT tenant_key, grain, cell, channel, template, kind, block, {string.Join(", ", AdoWriteStore.BucketColumns)} FROM parley_stats_latency",
            r => (Key: new Analytics.LatencyKey(r.GetString(0), (int)Long(r, 1), Long(r, 2), r.GetString(3), r.GetString(4), r.GetString(5), (int)Long(r, 6)),
                Buckets: Enumerable.Range(7, Analytics.LatencySketch.BlockSize).Select(i => Long(r, i)).ToArray()))
            .Where(x => x.Buckets.Any(b => b != 0)).ToDictionary(x => x.Key, x => x.Buckets);
        var errors = Query("SELECT tenant_key, grain, cell, channel, template, error_code, n, last_at FROM parley_stats_errors WHERE n <> 0",
            r => (Key: new Analytics.ErrorKey(r.GetString(0), (int)Long(r, 1), Long(r, 2), r.GetString(3), r.GetString(4), r.GetString(5)), N: Long(r, 6), LastAt: Long(r, 7)))
            .ToDictionary(x => x.Key, x => (x.N, x.LastAt));

        var expectedCounts = recount.Counts.Where(x => x.Value != 0).ToDictionary(x => x.Key, x => x.Value);
        var expectedLatency = recount.Latencies.Where(x => x.Value.Any(b => b != 0)).ToDictionary(x => x.Key, x => x.Value);
        var expectedErrors = recount.Errors.Where(x => x.Value.N != 0).ToDictionary(x => x.Key, x => x.Value);
        var wrong = new List<(string Table, List<string> Diffs)>
        {
            ("parley_stats_counts", [.. counts.Keys.Union(expectedCounts.Keys).Where(k => counts.GetValueOrDefault(k) != expectedCounts.GetValueOrDefault(k))
                .Select(k => $"{Cell(k.TenantKey, k.Grain, k.Cell, k.Channel, k.Template)} {k.Status}: stored {counts.GetValueOrDefault(k)}, real {expectedCounts.GetValueOrDefault(k)}")]),
            ("parley_stats_latency", [.. latency.Keys.Union(expectedLatency.Keys)
                .Where(k => !(latency.GetValueOrDefault(k) ?? new long[Analytics.LatencySketch.BlockSize]).SequenceEqual(expectedLatency.GetValueOrDefault(k) ?? new long[Analytics.LatencySketch.BlockSize]))
                .Select(k => $"{Cell(k.TenantKey, k.Grain, k.Cell, k.Channel, k.Template)} {k.Kind} buckets {k.Block * Analytics.LatencySketch.BlockSize}+: stored [{string.Join(",", latency.GetValueOrDefault(k) ?? [])}], real [{string.Join(",", expectedLatency.GetValueOrDefault(k) ?? [])}]")]),
            ("parley_stats_errors", [.. errors.Keys.Union(expectedErrors.Keys)
                .Where(k => errors.GetValueOrDefault(k).N != expectedErrors.GetValueOrDefault(k).N || errors.GetValueOrDefault(k).LastAt < expectedErrors.GetValueOrDefault(k).LastAt)
                .Select(k => $"{Cell(k.TenantKey, k.Grain, k.Cell, k.Channel, k.Template)} {k.ErrorCode}: stored {errors.GetValueOrDefault(k).N}, real {expectedErrors.GetValueOrDefault(k).N}")]),
            ("parley_stats_templates", [.. recount.Registered.Select(x => $"template {x.Template} of tenant '{x.TenantKey}' is not registered")]),
        };
        foreach (var (table, diffs) in wrong.Where(w => w.Diffs.Count > 0))
        {
            var shown = string.Join("; ", diffs.Take(3)) + (diffs.Count > 3 ? $"; and {(diffs.Count - 3).ToString(CultureInfo.InvariantCulture)} more" : "");
            findings.Add(new("rollups", $"{table}: {diffs.Count.ToString(CultureInfo.InvariantCulture)} rows differ from a recount of the messages ({shown})", true, repair));
        }
        if (repair && wrong.Any(w => w.Diffs.Count > 0)) Analytics.StatsRecount.Rebuild(conn, flavor);
    }

    private static (string Id, Analytics.MessageRowView Row)? Readable(DbDataReader r)
    {
        try
        {
            return (r.GetString(0), Analytics.StatsRecount.Read(r, 1));
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidCastException or OverflowException)
        {
            return null;
        }
    }

    private static string Cell(string tenantKey, int grain, long cell, string channel, string template) => string.Create(CultureInfo.InvariantCulture,
        $"{(tenantKey.Length == 0 ? "" : $"tenant {tenantKey}, ")}{Analytics.StatsCells.Minutes[grain]}-minute cell {Timestamps.ToText(Analytics.StatsCells.Time(cell))}, channel {channel}, template '{template}'");

    /// <summary>Checks each message's delivery state and returns the per-session status counts the events give.</summary>
    private Dictionary<((string, string), string, string), long> Statuses(List<CheckFinding> findings, bool repair)
    {
        var counts = new Dictionary<((string, string), string, string), long>();
        var events = new Dictionary<(string, string), List<(MessageStatus Status, DateTimeOffset At, string? Code, string? Text)>>();
        foreach (var e in Query("SELECT message_id, status, occurred_at, error_code, error_message, tenant_key FROM parley_message_events ORDER BY id",
                     r => (Id: r.GetString(0), Status: WireNames.Status(r.GetString(1)), At: TimeAt(r, 2), Code: Str(r, 3), Text: Str(r, 4), TenantKey: r.GetString(5)),
                     (findings, "events of message")))
        {
            if (!events.TryGetValue((e.TenantKey, e.Id), out var list)) events[(e.TenantKey, e.Id)] = list = [];
            list.Add((e.Status, e.At, e.Code, e.Text));
        }
        var fixes = new List<MessageRow>();
        foreach (var m in Query($"SELECT {MessageColumns} FROM parley_messages ORDER BY row_id", r => Message(r), (findings, "message")))
        {
            var state = new DeliveryState { Status = MessageStatus.Pending };
            foreach (var e in events.GetValueOrDefault((m.TenantKey, m.Id)) ?? [])
            {
                if (e.Status != MessageStatus.Cancelled) StatusRules.Apply(ref state, new Report(e.Status, e.At, e.Code, e.Text));
                else if (StatusRules.CanCancel(state.Status)) StatusRules.Cancel(ref state, e.At);
            }
            var key = ((m.TenantKey, m.SessionId), "status", WireNames.Of(state.Status));
            counts[key] = counts.GetValueOrDefault(key) + 1;
            if (state == m.Delivery) continue;
            findings.Add(new("statuses", $"message {Name(m.TenantKey, m.Id)}: stored {Describe(m.Delivery)}, its events give {Describe(state)}", true, repair));
            _replayed[(m.TenantKey, m.Id)] = state;
            m.Delivery = state;
            fixes.Add(m);
        }
        if (!repair) return counts;
        foreach (var m in fixes)
        {
            var d = m.Delivery;
            Exec("UPDATE parley_messages SET status = @p1, sent_at = @p2, delivered_at = @p3, read_at = @p4, failed_at = @p5, cancelled_at = @p6, " +
                 "sent_implied = @p7, delivered_implied = @p8, error_code = @p9, error_message = @p10, error_at = @p11 WHERE tenant_key = @p12 AND id = @p0",
                m.Id, WireNames.Of(d.Status), d.SentAt, d.DeliveredAt, d.ReadAt, d.FailedAt, d.CancelledAt, d.SentImplied, d.DeliveredImplied,
                d.ErrorCode, d.ErrorMessage, d.ErrorAt, m.TenantKey);
        }
        return counts;
    }

    private static string Describe(DeliveryState d) =>
        $"{WireNames.Of(d.Status)}{(d.ErrorCode is null ? "" : $" ({d.ErrorCode})")} sent {Timestamps.ToText(d.SentAt) ?? "-"} delivered {Timestamps.ToText(d.DeliveredAt) ?? "-"} read {Timestamps.ToText(d.ReadAt) ?? "-"}";

    private int Exec(string sql, params object?[] values)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        flavor.AddPositional(cmd.Parameters, cmd.CreateParameter, values);
        return cmd.ExecuteNonQuery();
    }

    /// <summary>The rows <paramref name="read"/> makes of a query. With <paramref name="unreadable"/>, a row whose
    /// values Parley cannot read (an unknown status, a time that is not a time, text where a number belongs) is a
    /// finding that needs a person, named by its first column, and the check goes on without it.</summary>
    private List<T> Query<T>(string sql, Func<DbDataReader, T> read, (List<CheckFinding> Findings, string What)? unreadable = null)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        cmd.CommandTimeout = 0;
        using var r = cmd.ExecuteReader();
        var list = new List<T>();
        while (r.Read())
        {
            try
            {
                list.Add(read(r));
            }
            catch (Exception e) when (unreadable is { } bad && e is FormatException or ArgumentException or InvalidCastException or OverflowException)
            {
                var key = r.IsDBNull(0) ? "NULL" : Convert.ToString(r.GetValue(0), CultureInfo.InvariantCulture);
                bad.Findings.Add(new("unreadable", $"{bad.What} {key}: {e.Message}", false));
            }
        }
        return list;
    }
}
