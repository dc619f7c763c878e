using System.Data.Common;
using System.Text;
using Parley.Internal.Kernel;
using Parley.Internal.Messages;
using Parley.Internal.Reports;
using Parley.Internal.Sessions;
using static Parley.Internal.Kernel.RowReaders;

namespace Parley.Internal.Transfer;

/// <summary>One page of an export: messages in key order (session id, tenant, position), the sessions they belong
/// to that earlier pages did not hold, and each message's events in the order they were stored.</summary>
internal sealed record ExportPage(
    List<(MessageRow Message, long RowId)> Messages,
    Dictionary<(string TenantKey, string Id), SessionRow> Sessions,
    Dictionary<(string TenantKey, string Id), List<EventRow>> Events);

/// <summary>Reads what an export holds (docs/transfer.md) page by page, all in the one read snapshot of
/// <paramref name="conn"/>'s transaction, in constant memory: a page of 1,000 messages walks the messages' key
/// index from where the last page ended, its events are one more query over the same key range, and its new
/// sessions one more. Every engine runs the same SQL; nothing needs two result sets open on one connection.</summary>
internal sealed class ExportReader(DbConnection conn, SqlFlavor flavor, ExportOptions options)
{
    public const int PageSize = 1000;

    private readonly ReadDatabase _db = new(_ => Task.FromResult(conn), flavor);
    private readonly ExportCursor? _after = options.After is null ? null : ExportCursor.Decode(options.After);
    private readonly HashSet<(string, string)> _sent = [];

    private const string MessageColumnsM =
        "m.row_id, m.id, m.session_id, m.session_seq, m.idempotency_key, m.direction, m.sender_type, m.sender_id, m.sender_name, m.channel, " +
        "m.recipient, m.template, m.subject, m.content, m.status, m.sent_at, m.delivered_at, m.read_at, m.failed_at, m.cancelled_at, " +
        "m.sent_implied, m.delivered_implied, m.provider_message_id, m.error_code, m.error_message, m.error_at, m.metadata, " +
        "m.created_at, m.updated_at, m.tenant_key";

    private const string EventColumnsE =
        "e.id, e.message_id, e.status, e.occurred_at, e.recorded_at, e.source, e.error_code, e.error_message, e.detail, e.outcome, e.tenant_key";

    private (string Name, object? Value)[] Args(params (string, object?)[] more) =>
    [
        ("@since", options.Since is { } s ? Timestamps.Truncate(s) : null), ("@until", options.Until is { } u ? Timestamps.Truncate(u) : null),
        ("@session", options.SessionId), ("@channel", options.Channel), ("@status", options.Status is { } st ? WireNames.Of(st) : null),
        ("@tenant", options.Tenant is null ? null : options.Tenant), ("@afterRow", _after?.MessageRow), ("@afterEvent", _after?.EventId),
        .. more,
    ];

    /// <summary>The filters on <c>m</c>, as a condition.</summary>
    private string Filters()
    {
        var sql = new StringBuilder("1 = 1");
        if (options.Since is not null) sql.Append(" AND m.created_at >= @since");
        if (options.Until is not null) sql.Append(" AND m.created_at < @until");
        if (options.SessionId is not null) sql.Append(" AND m.session_id = @session");
        if (options.Channel is not null) sql.Append(" AND m.channel = @channel");
        if (options.Status is not null) sql.Append(" AND m.status = @status");
        if (options.Tenant is not null) sql.Append(" AND m.tenant_key = @tenant");
        if (_after is not null)
            sql.Append(" AND (m.row_id > @afterRow OR EXISTS (SELECT 1 FROM parley_message_events x WHERE x.message_id = m.id AND x.tenant_key = m.tenant_key AND x.id > @afterEvent))");
        return sql.ToString();
    }

    // Past the message (session id, tenant key, position) where the last page ended; the OR form is the one every
    // engine's planner turns into a range over ux_parley_messages_tenant_session_seq.
    private const string PastKey =
        " AND (m.session_id > @ks OR (m.session_id = @ks AND (m.tenant_key > @kt OR (m.tenant_key = @kt AND m.session_seq > @kq))))";

    private const string UpToKey =
        " AND (m.session_id < @ls OR (m.session_id = @ls AND (m.tenant_key < @lt OR (m.tenant_key = @lt AND m.session_seq <= @lq))))";

    /// <summary>How many messages the export holds, for a progress bar.</summary>
    public async Task<long> CountAsync(CancellationToken ct) =>
        (await _db.QueryRowsAsync(conn, ct, $"SELECT COUNT(*) FROM parley_messages m WHERE {Filters()}", r => Long(r, 0), Args()))[0];

    /// <summary>Where an incremental export that follows this one starts.</summary>
    public async Task<ExportCursor> NextCursorAsync(CancellationToken ct)
    {
        var row = await _db.QueryRowsAsync(conn, ct, "SELECT MAX(row_id) FROM parley_messages", r => r.IsDBNull(0) ? 0 : Long(r, 0));
        var ev = await _db.QueryRowsAsync(conn, ct, "SELECT MAX(id) FROM parley_message_events", r => r.IsDBNull(0) ? 0 : Long(r, 0));
        var s = await _db.QueryRowsAsync(conn, ct, "SELECT MAX(updated_at) FROM parley_sessions", r => Time(r, 0));
        return new ExportCursor(row[0], ev[0], s[0] ?? DateTimeOffset.UnixEpoch);
    }

    public async IAsyncEnumerable<ExportPage> PagesAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        (string Session, string Tenant, long Seq)? last = null;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var messages = await _db.QueryRowsAsync(conn, ct,
                $"SELECT {MessageColumnsM} FROM parley_messages m WHERE {Filters()}" + (last is null ? "" : PastKey) +
                " ORDER BY m.session_id, m.tenant_key, m.session_seq LIMIT @limit",
                r => (Message(r, 1), Long(r, 0)),
                Args(("@ks", last?.Session), ("@kt", last?.Tenant), ("@kq", last?.Seq), ("@limit", PageSize)));
            if (messages.Count == 0) yield break;
            var end = messages[^1].Item1;
            var events = new Dictionary<(string, string), List<EventRow>>();
            var eventRows = await _db.QueryRowsAsync(conn, ct,
                $"SELECT {EventColumnsE} FROM parley_message_events e JOIN parley_messages m ON m.id = e.message_id AND m.tenant_key = e.tenant_key " +
                $"WHERE {Filters()}" + (last is null ? "" : PastKey) + UpToKey + (_after is null ? "" : " AND (m.row_id > @afterRow OR e.id > @afterEvent)") +
                " ORDER BY e.id",
                Event,
                Args(("@ks", last?.Session), ("@kt", last?.Tenant), ("@kq", last?.Seq), ("@ls", end.SessionId), ("@lt", end.TenantKey), ("@lq", end.SessionSeq)));
            foreach (var e in eventRows)
            {
                if (!events.TryGetValue((e.TenantKey, e.MessageId), out var list)) events[(e.TenantKey, e.MessageId)] = list = [];
                list.Add(e);
            }
            var sessions = await SessionsAsync(messages.Select(m => (m.Item1.TenantKey, m.Item1.SessionId)), ct);
            yield return new ExportPage(messages, sessions, events);
            if (messages.Count < PageSize) yield break;
            last = (end.SessionId, end.TenantKey, end.SessionSeq);
        }
    }

    /// <summary>The sessions no message names that the export still holds, after the messages: with no filter, the
    /// sessions without messages; incrementally, the sessions updated since the cursor.</summary>
    public async IAsyncEnumerable<SessionRow> RemainingSessionsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        string where;
        if (_after is not null) where = "updated_at >= @from";
        else if (options is { Since: null, Until: null, Channel: null, Status: null }) where = "message_count = 0";
        else yield break;
        if (options.SessionId is not null) where += " AND id = @session";
        if (options.Tenant is not null) where += " AND tenant_key = @tenant";
        (string Id, string Tenant)? last = null;
        while (true)
        {
            var page = await _db.QueryRowsAsync(conn, ct,
                $"SELECT {SessionColumns} FROM parley_sessions WHERE {where}" + (last is null ? "" : " AND (id > @ki OR (id = @ki AND tenant_key > @kt))") +
                " ORDER BY id, tenant_key LIMIT @limit",
                r => Session(r), Args(("@from", _after?.SessionsFrom), ("@ki", last?.Id), ("@kt", last?.Tenant), ("@limit", PageSize)));
            foreach (var s in page)
                if (_sent.Add((s.TenantKey, s.Id))) yield return s;
            if (page.Count < PageSize) yield break;
            last = (page[^1].Id, page[^1].TenantKey);
        }
    }

    private async Task<Dictionary<(string, string), SessionRow>> SessionsAsync(IEnumerable<(string TenantKey, string Id)> keys, CancellationToken ct)
    {
        var found = new Dictionary<(string, string), SessionRow>();
        var wanted = keys.Distinct().Where(k => !_sent.Contains(k)).ToList();
        foreach (var tenant in wanted.GroupBy(k => k.TenantKey))
        {
            var ids = tenant.Select(k => k.Id).ToList();
            var (list, args) = ReadDatabase.InList(ids);
            foreach (var s in await _db.QueryRowsAsync(conn, ct, $"SELECT {SessionColumns} FROM parley_sessions WHERE tenant_key = @tk AND id IN ({list})",
                         r => Session(r), [("@tk", tenant.Key), .. args]))
                found[(s.TenantKey, s.Id)] = s;
        }
        foreach (var k in wanted) _sent.Add(k);
        return found;
    }
}
