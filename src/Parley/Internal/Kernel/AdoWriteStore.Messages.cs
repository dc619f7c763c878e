using System.Data.Common;
using System.Globalization;
using Parley.Internal.Messages;
using static Parley.Internal.Kernel.RowReaders;

namespace Parley.Internal.Kernel;

// AdoWriteStore: the message statements (IMessageWrites): finds, the prefetch of a batch of reports, inserts and delivery changes.
internal abstract partial class AdoWriteStore
{
    private readonly string _findMessage = $"SELECT {MessageColumns} FROM parley_messages WHERE tenant_key = @p0 AND id = @p1{flavor.ForUpdate}";
    private readonly string _findMessagesNamed = $"SELECT {MessageColumns} FROM parley_messages WHERE id = @p0 ORDER BY tenant_key{flavor.ForUpdate}";
    private readonly string _findByKey = $"SELECT {MessageColumns} FROM parley_messages WHERE tenant_key = @p0 AND session_id = @p1 AND idempotency_key = @p2{flavor.ForUpdate}";
    private readonly string _findByProviderAny = $"SELECT {MessageColumns} FROM parley_messages WHERE provider_message_id = @p0 ORDER BY tenant_key, channel{flavor.ForUpdate}";
    private readonly string _findByProvider = $"SELECT {MessageColumns} FROM parley_messages WHERE provider_message_id = @p0 AND channel = @p1 ORDER BY tenant_key{flavor.ForUpdate}";
    private readonly string _findByProviderIn = $"SELECT {MessageColumns} FROM parley_messages WHERE tenant_key = @p1 AND provider_message_id = @p0 ORDER BY channel{flavor.ForUpdate}";
    private readonly string _findByProviderOn = $"SELECT {MessageColumns} FROM parley_messages WHERE tenant_key = @p2 AND provider_message_id = @p0 AND channel = @p1{flavor.ForUpdate}";

    // What Prefetch loaded, kept current by this transaction's own writes and dropped when it ends. Rows are kept by
    // id (every tenant's row with that id); _idsCached are the ids whose rows of every tenant were loaded, the others
    // only answer for the tenant they were written in.
    private readonly Dictionary<string, List<MessageRow>> _cached = new(StringComparer.Ordinal);
    private readonly HashSet<string> _idsCached = new(StringComparer.Ordinal);
    private readonly HashSet<string> _providersCached = new(StringComparer.Ordinal);
    private readonly HashSet<(string, string, MessageStatus, DateTimeOffset, string?)> _eventKeys = [];
    private readonly HashSet<string> _eventsCached = new(StringComparer.Ordinal);

    /// <summary>Whether <see cref="Prefetch"/> loads anything: worth it where every read is a network round trip.</summary>
    protected virtual bool PrefetchReads => false;

    public void Prefetch(IReadOnlyCollection<string> messageIds, IReadOnlyCollection<string> providerIds)
    {
        if (!PrefetchReads || messageIds.Count + providerIds.Count < 2) return;
        Flush();
        PlanEachQuery(true);
        foreach (var chunk in messageIds.Where(id => !_idsCached.Contains(id)).Chunk(500))
        {
            Load($"SELECT {MessageColumns} FROM parley_messages WHERE id IN ({Params(chunk.Length)}){flavor.ForUpdate}", chunk);
            _idsCached.UnionWith(chunk);
        }
        foreach (var chunk in providerIds.Where(p => !_providersCached.Contains(p)).Chunk(500))
        {
            Load($"SELECT {MessageColumns} FROM parley_messages WHERE provider_message_id IN ({Params(chunk.Length)}){flavor.ForUpdate}", chunk);
            _providersCached.UnionWith(chunk);
        }
        foreach (var chunk in _cached.Keys.Where(id => !_eventsCached.Contains(id)).ToList().Chunk(500))
        {
            using var cmd = Uncached($"SELECT tenant_key, message_id, status, occurred_at, error_code FROM parley_message_events WHERE message_id IN ({Params(chunk.Length)})", chunk);
            using var r = cmd.ExecuteReader();
            while (r.Read()) _eventKeys.Add((r.GetString(0), r.GetString(1), WireNames.Status(r.GetString(2)), TimeAt(r, 3), Str(r, 4)));
            _eventsCached.UnionWith(chunk);
        }
        PlanEachQuery(false);
    }

    /// <summary>With <paramref name="custom"/>, makes the following queries be planned for their own parameters and
    /// the tables' current size; without, goes back to cached plans (nothing where the engine caches no plans). The
    /// switch back runs only after the queries succeeded: a statement in a transaction the server has aborted (a
    /// query that lost a deadlock) fails with "current transaction is aborted" and would hide the error that says to
    /// retry; the rollback ends the setting anyway.</summary>
    protected virtual void PlanEachQuery(bool custom)
    {
    }

    private void Load(string sql, string[] values)
    {
        using var cmd = Uncached(sql, values);
        foreach (var m in ReadAll(cmd, r => Message(r)))
        {
            var rows = Rows(m.Id);
            if (!rows.Exists(x => x.TenantKey == m.TenantKey)) rows.Add(m);
        }
    }

    private List<MessageRow> Rows(string id)
    {
        if (!_cached.TryGetValue(id, out var rows)) _cached[id] = rows = new List<MessageRow>(1);
        return rows;
    }

    private static string Params(int n, int from = 0) =>
        string.Join(", ", Enumerable.Range(from, n).Select(i => "@p" + i.ToString(CultureInfo.InvariantCulture)));

    private DbCommand Uncached(string sql, object?[] values)
    {
        var cmd = Connection.CreateCommand();
        cmd.CommandText = sql;
        flavor.AddPositional(cmd.Parameters, cmd.CreateParameter, values);
        return cmd;
    }

    /// <summary>Keeps a prefetched view current with a row this transaction wrote.</summary>
    protected void Remember(MessageRow m)
    {
        if (_cached.Count == 0 && _providersCached.Count == 0) return;
        var rows = Rows(m.Id);
        var i = rows.FindIndex(x => x.TenantKey == m.TenantKey);
        if (i >= 0) rows[i] = m;
        else rows.Add(m);
    }

    private void Forget()
    {
        _cached.Clear();
        _idsCached.Clear();
        _providersCached.Clear();
        _eventKeys.Clear();
        _eventsCached.Clear();
    }

    public MessageRow? FindMessage(string tenantKey, string id)
    {
        if (_cached.TryGetValue(id, out var known))
        {
            if (known.Find(m => m.TenantKey == tenantKey) is { } row) return row;
            if (_idsCached.Contains(id)) return null;
        }
        Flush();
        using var r = Cmd(_findMessage, tenantKey, id).ExecuteReader();
        return r.Read() ? Message(r) : null;
    }

    public List<MessageRow> FindMessagesNamed(string id)
    {
        if (_idsCached.Contains(id)) return [.. _cached.GetValueOrDefault(id) ?? []];
        Flush();
        return ReadAll(Cmd(_findMessagesNamed, id), r => Message(r));
    }

    public MessageRow? FindMessageByKey(string tenantKey, string sessionId, string idempotencyKey)
    {
        Flush();
        using var r = Cmd(_findByKey, tenantKey, sessionId, idempotencyKey).ExecuteReader();
        return r.Read() ? Message(r) : null;
    }

    public List<MessageRow> FindMessagesByProvider(string? tenantKey, string providerMessageId, string? channel)
    {
        if (_providersCached.Contains(providerMessageId))
        {
            return [.. _cached.Values.SelectMany(rows => rows).Where(m => m.ProviderMessageId == providerMessageId
                && (channel is null || m.Channel == channel) && (tenantKey is null || m.TenantKey == tenantKey))];
        }
        Flush();
        return (tenantKey, channel) switch
        {
            (null, null) => ReadAll(Cmd(_findByProviderAny, providerMessageId), r => Message(r)),
            (null, _) => ReadAll(Cmd(_findByProvider, providerMessageId, channel), r => Message(r)),
            (_, null) => ReadAll(Cmd(_findByProviderIn, providerMessageId, tenantKey), r => Message(r)),
            _ => ReadAll(Cmd(_findByProviderOn, providerMessageId, channel, tenantKey), r => Message(r)),
        };
    }

    public virtual void InsertMessage(MessageRow m)
    {
        var d = m.Delivery;
        Exec($"INSERT INTO parley_messages ({MessageColumns}) VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9, @p10, @p11, @p12, @p13, " +
             "@p14, @p15, @p16, @p17, @p18, @p19, @p20, @p21, @p22, @p23, @p24, @p25, @p26, @p27, @p28)",
            m.Id, m.SessionId, m.SessionSeq, m.IdempotencyKey, WireNames.Of(m.Direction), WireNames.Of(m.SenderType), m.SenderId, m.SenderName,
            m.Channel, m.Recipient, m.Template, m.Subject, m.Content, WireNames.Of(d.Status), d.SentAt, d.DeliveredAt, d.ReadAt, d.FailedAt,
            d.CancelledAt, d.SentImplied, d.DeliveredImplied, m.ProviderMessageId, d.ErrorCode, d.ErrorMessage, d.ErrorAt,
            new JsonText(m.MetadataJson), m.CreatedAt, m.UpdatedAt, m.TenantKey);
    }

    // Keyed by tenant and message id: a message changed twice in one transaction is written once, in its last state.
    private readonly Dictionary<(string, string), MessageRow> _deliveries = [];

    /// <summary>From how many buffered delivery changes the engine writes them in one statement
    /// (<see cref="UpdateDeliveries"/>); below it, or never (the default), each is its own deferred UPDATE.</summary>
    protected virtual int UpdateDeliveriesFrom => int.MaxValue;

    /// <summary>Writes many delivery changes (state, provider id, <c>updated_at</c>) in one statement.</summary>
    protected virtual void UpdateDeliveries(MessageRow[] rows) => throw new NotSupportedException();

    public virtual void UpdateDelivery(MessageRow m)
    {
        Remember(m);
        _deliveries[(m.TenantKey, m.Id)] = m;
    }

    private void FlushDeliveries()
    {
        if (_deliveries.Count == 0) return;
        if (_deliveries.Count >= UpdateDeliveriesFrom) UpdateDeliveries([.. _deliveries.Values]);
        else foreach (var m in _deliveries.Values) DeferDelivery(m);
        _deliveries.Clear();
    }

    private void DeferDelivery(MessageRow m)
    {
        var d = m.Delivery;
        Defer("UPDATE parley_messages SET status = @p1, sent_at = @p2, delivered_at = @p3, read_at = @p4, failed_at = @p5, cancelled_at = @p6, " +
             "sent_implied = @p7, delivered_implied = @p8, provider_message_id = @p9, error_code = @p10, error_message = @p11, error_at = @p12, " +
             "updated_at = @p13 WHERE tenant_key = @p14 AND id = @p0",
            m.Id, WireNames.Of(d.Status), d.SentAt, d.DeliveredAt, d.ReadAt, d.FailedAt, d.CancelledAt, d.SentImplied, d.DeliveredImplied,
            m.ProviderMessageId, d.ErrorCode, d.ErrorMessage, d.ErrorAt, m.UpdatedAt, m.TenantKey);
    }
}
