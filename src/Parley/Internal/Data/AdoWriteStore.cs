using System.Data.Common;
using System.Globalization;
using Parley.Internal.Lifecycle;
using Parley.Internal.Writing;
using static Parley.Internal.Data.RowReaders;

namespace Parley.Internal.Data;

/// <summary>The writer's side of every engine in one place: the SQL each <see cref="WriteStore"/> call runs, over
/// one connection, with each command built once and re-bound on every call. An engine supplies its
/// <see cref="SqlFlavor"/>, says which errors are transient, and may take over the statements every write runs
/// (SQLite binds them by position; PostgreSQL buffers inserts into a binary COPY). Buffered inserts, then the
/// transaction's delivery changes (one statement where the engine has <see cref="UpdateDeliveries"/>), are written by
/// <see cref="Flush"/>, which runs before every read of messages, events or parked reports and before the commit.</summary>
internal abstract class AdoWriteStore(SqlFlavor flavor) : WriteStore
{
    // Keyed by reference: every statement is a compile-time constant or built once, so hashing its text on each
    // call would be waste.
    private readonly Dictionary<string, DbCommand> _commands = new(ReferenceEqualityComparer.Instance);

    protected abstract DbConnection Connection { get; }

    protected SqlFlavor Flavor => flavor;

    // Every id is looked up within its tenant's namespace (tenant_key, docs/security.md "Tenants"), except by the
    // *Named queries, which answer every tenant's rows for a caller not confined to one.
    private readonly string _eventExists = "SELECT 1 FROM parley_message_events WHERE tenant_key = @p4 AND message_id = @p0 AND status = @p1 AND occurred_at = @p2 AND " +
                                           flavor.NullSafeEquals("error_code", "@p3");
    private readonly string _loadSession = $"SELECT {SessionColumns} FROM parley_sessions WHERE tenant_key = @p0 AND id = @p1{flavor.ForUpdate}";
    private readonly string _loadSessionsNamed = $"SELECT {SessionColumns} FROM parley_sessions WHERE id = @p0 ORDER BY tenant_key{flavor.ForUpdate}";
    private readonly string _findMessage = $"SELECT {MessageColumns} FROM parley_messages WHERE tenant_key = @p0 AND id = @p1{flavor.ForUpdate}";
    private readonly string _findMessagesNamed = $"SELECT {MessageColumns} FROM parley_messages WHERE id = @p0 ORDER BY tenant_key{flavor.ForUpdate}";
    private readonly string _findByKey = $"SELECT {MessageColumns} FROM parley_messages WHERE tenant_key = @p0 AND session_id = @p1 AND idempotency_key = @p2{flavor.ForUpdate}";
    private readonly string _findByProviderAny = $"SELECT {MessageColumns} FROM parley_messages WHERE provider_message_id = @p0 ORDER BY tenant_key, channel{flavor.ForUpdate}";
    private readonly string _findByProvider = $"SELECT {MessageColumns} FROM parley_messages WHERE provider_message_id = @p0 AND channel = @p1 ORDER BY tenant_key{flavor.ForUpdate}";
    private readonly string _findByProviderIn = $"SELECT {MessageColumns} FROM parley_messages WHERE tenant_key = @p1 AND provider_message_id = @p0 ORDER BY channel{flavor.ForUpdate}";
    private readonly string _findByProviderOn = $"SELECT {MessageColumns} FROM parley_messages WHERE tenant_key = @p2 AND provider_message_id = @p0 AND channel = @p1{flavor.ForUpdate}";

    protected DbCommand Cmd(string sql, params object?[] values)
    {
        if (!_commands.TryGetValue(sql, out var cmd))
        {
            cmd = Connection.CreateCommand();
            cmd.CommandText = sql;
            for (var i = 0; i < values.Length; i++)
            {
                var p = cmd.CreateParameter();
                p.ParameterName = "@p" + i.ToString(CultureInfo.InvariantCulture);
                cmd.Parameters.Add(p);
            }
            if (flavor.PrepareCommands) cmd.Prepare();
            _commands[sql] = cmd;
        }
        for (var i = 0; i < values.Length; i++) flavor.Bind(cmd.Parameters[i], values[i]);
        return cmd;
    }

    protected int Exec(string sql, params object?[] values) => Cmd(sql, values).ExecuteNonQuery();

    /// <summary>Forgets every built command (after the connection was replaced).</summary>
    protected void ForgetCommands()
    {
        foreach (var cmd in _commands.Values) cmd.Dispose();
        _commands.Clear();
    }

    private DbBatch? _deferred;

    /// <summary>Writes what the engine buffered (inserts first, then the deferred statements). Runs before every
    /// read and before the commit.</summary>
    protected void Flush() => WriteBuffered(commit: false);

    /// <summary>Writes what was buffered; with <paramref name="commit"/>, also commits — where the engine allows
    /// (<see cref="BatchedCommit"/>), as the last statement of the deferred batch, so that a transaction's last writes
    /// and its commit cost one round trip. A failure before it skips it (the server stops at the first error), and
    /// the writer rolls back.</summary>
    private void WriteBuffered(bool commit)
    {
        FlushInserts();
        FlushDeliveries();
        var batched = commit && BatchedCommit is not null && _deferred is { BatchCommands.Count: > 0 };
        if (batched) DeferCommand(BatchedCommit!);
        if (_deferred is { BatchCommands.Count: > 0 })
        {
            try
            {
                _deferred.ExecuteNonQuery();
            }
            finally
            {
                _deferred.Dispose();
                _deferred = null;
            }
        }
        if (batched) CommittedInBatch();
        else if (commit) CommitTransaction();
    }

    /// <summary>The statement that commits when it may end the deferred batch (null: the commit goes alone, through
    /// <see cref="CommitTransaction"/>).</summary>
    protected virtual string? BatchedCommit => null;

    /// <summary>Called when <see cref="BatchedCommit"/> ended the transaction inside the deferred batch.</summary>
    protected virtual void CommittedInBatch()
    {
    }

    /// <summary>Writes the inserts an engine buffers (PostgreSQL: binary COPY; MySQL: multi-row INSERT).</summary>
    protected virtual void FlushInserts()
    {
    }

    /// <summary>Runs a statement whose result nobody reads. Where the driver batches statements (Npgsql,
    /// MySqlConnector) it waits for the next <see cref="Flush"/>, so a commit's session and summary updates cost one
    /// round trip together; elsewhere (SQLite, in process) it runs at once.</summary>
    protected void Defer(string sql, params object?[] values)
    {
        if (!Connection.CanCreateBatch)
        {
            Exec(sql, values);
            return;
        }
        var cmd = DeferCommand(sql);
        flavor.AddPositional(cmd.Parameters, cmd.CreateParameter, values);
    }

    /// <summary>Adds a statement to the deferred batch (engines whose driver batches) and returns it for the caller's
    /// parameters.</summary>
    protected DbBatchCommand DeferCommand(string sql)
    {
        _deferred ??= Connection.CreateBatch();
        var cmd = _deferred.CreateBatchCommand();
        cmd.CommandText = sql;
        _deferred.BatchCommands.Add(cmd);
        return cmd;
    }

    /// <summary>Drops the inserts an engine buffered (the transaction is rolling back).</summary>
    protected virtual void DropInserts()
    {
    }

    /// <summary>Drops what was buffered or deferred (the transaction is rolling back).</summary>
    protected void Discard()
    {
        Forget();
        DropInserts();
        _deliveries.Clear();
        _deferred?.Dispose();
        _deferred = null;
    }

    /// <summary>Replaces a connection the server dropped (server engines); called at <see cref="Begin"/>, so the
    /// writer's retry of a transient failure runs on a fresh one.</summary>
    protected virtual void Reconnect() => throw new InvalidOperationException("the database connection is closed.");

    public override void Begin()
    {
        if (Connection.State != System.Data.ConnectionState.Open)
        {
            ForgetCommands();
            Reconnect();
        }
        StartTransaction();
    }

    public override void Commit()
    {
        Forget();
        WriteBuffered(commit: true);
    }

    public override void Rollback()
    {
        Discard();
        RollbackTransaction();
    }

    /// <summary>Begins the writer's transaction. An engine whose driver sends <c>BEGIN</c> with the next statement
    /// (Npgsql) saves a round trip per commit.</summary>
    protected virtual void StartTransaction() => Exec(flavor.BeginWrite);

    protected virtual void CommitTransaction() => Exec("COMMIT");

    protected virtual void RollbackTransaction()
    {
        // A dropped connection has rolled back by itself.
        if (Connection.State == System.Data.ConnectionState.Open) Exec("ROLLBACK");
    }

    // No Flush: nothing buffered changes a session row (a transaction writes its sessions back only at its end).
    public override SessionRow? LoadSession(string tenantKey, string id)
    {
        using var r = Cmd(_loadSession, tenantKey, id).ExecuteReader();
        return r.Read() ? Session(r) : null;
    }

    public override List<SessionRow> LoadSessionsNamed(string id) => ReadAll(Cmd(_loadSessionsNamed, id), r => Session(r));

    public override List<SessionRow> LoadSessions(IReadOnlyList<string> ids)
    {
        if (!PrefetchReads) return [];
        var rows = new List<SessionRow>(ids.Count);
        // Every tenant's session with each id, locked in the order of the id index, the same in every process.
        foreach (var chunk in ids.Chunk(500))
        {
            using var cmd = Uncached($"SELECT {SessionColumns} FROM parley_sessions WHERE id IN ({Params(chunk.Length)}){flavor.ForUpdate}", chunk);
            rows.AddRange(ReadAll(cmd, r => Session(r)));
        }
        return rows;
    }

    public override void InsertSession(SessionRow s) => Exec(
        $"INSERT INTO parley_sessions ({SessionColumns}, tenant_key) VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9, @p10, @p11, @p12, @p13, @p14, @p15, @p16, @p17, @p18)",
        s.Id, s.Kind, s.Title, s.Tenant, s.UserAccount, WireNames.Of(s.Status), s.StartedAt, s.EndedAt, s.UpdatedAt,
        new JsonText(s.MetadataJson), s.MessageCount, s.FirstMessageAt, s.LastMessageAt, s.LastSeq, s.AgentReadSeq, s.UserReadSeq,
        s.UnreadForAgent, s.UnreadForUser, s.TenantKey);

    public override void UpdateSession(SessionRow s) => Defer(
        "UPDATE parley_sessions SET title = @p1, status = @p2, ended_at = @p3, updated_at = @p4, metadata = @p5, message_count = @p6, " +
        "first_message_at = @p7, last_message_at = @p8, last_seq = @p9, agent_read_seq = @p10, user_read_seq = @p11, " +
        "unread_for_agent = @p12, unread_for_user = @p13 WHERE tenant_key = @p14 AND id = @p0",
        s.Id, s.Title, WireNames.Of(s.Status), s.EndedAt, s.UpdatedAt, new JsonText(s.MetadataJson), s.MessageCount,
        s.FirstMessageAt, s.LastMessageAt, s.LastSeq, s.AgentReadSeq, s.UserReadSeq, s.UnreadForAgent, s.UnreadForUser, s.TenantKey);

    public override bool DeleteSession(string tenantKey, string id)
    {
        Forget();
        Flush();
        return Exec("DELETE FROM parley_sessions WHERE tenant_key = @p0 AND id = @p1", tenantKey, id) > 0;
    }

    public override void AddFacet(string tenantKey, string sessionId, string facet, string value, long delta) =>
        Defer(flavor.UpsertFacet, tenantKey, sessionId, facet, value, delta);

    public override void AddFacets(IReadOnlyList<FacetDelta> deltas)
    {
        if (!Connection.CanCreateBatch || deltas.Count == 1)
        {
            base.AddFacets(deltas);
            return;
        }
        foreach (var chunk in deltas.Chunk(250))
            Defer(flavor.UpsertFacets(chunk.Length), [.. chunk.SelectMany(d => (object?[])[d.TenantKey, d.SessionId, d.Facet, d.Value, d.Delta])]);
    }

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

    public override void Prefetch(IReadOnlyCollection<string> messageIds, IReadOnlyCollection<string> providerIds)
    {
        if (!PrefetchReads || messageIds.Count + providerIds.Count < 2) return;
        Flush();
        using var planned = PlanEachQuery();
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
    }

    /// <summary>Makes the queries until disposal be planned for their own parameters and the tables' current size
    /// (null where the engine caches no plans).</summary>
    protected virtual IDisposable? PlanEachQuery() => null;

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

    public override MessageRow? FindMessage(string tenantKey, string id)
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

    public override List<MessageRow> FindMessagesNamed(string id)
    {
        if (_idsCached.Contains(id)) return [.. _cached.GetValueOrDefault(id) ?? []];
        Flush();
        return ReadAll(Cmd(_findMessagesNamed, id), r => Message(r));
    }

    public override MessageRow? FindMessageByKey(string tenantKey, string sessionId, string idempotencyKey)
    {
        Flush();
        using var r = Cmd(_findByKey, tenantKey, sessionId, idempotencyKey).ExecuteReader();
        return r.Read() ? Message(r) : null;
    }

    public override List<MessageRow> FindMessagesByProvider(string? tenantKey, string providerMessageId, string? channel)
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

    public override void InsertMessage(MessageRow m)
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

    public override void UpdateDelivery(MessageRow m)
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

    public override long? SeqOf(string tenantKey, string sessionId, string messageId)
    {
        Flush();
        var v = Cmd("SELECT session_seq FROM parley_messages WHERE tenant_key = @p2 AND id = @p0 AND session_id = @p1", messageId, sessionId, tenantKey).ExecuteScalar();
        return v is null or DBNull ? null : Convert.ToInt64(v, CultureInfo.InvariantCulture);
    }

    public override List<MessageRow> MessagesBetween(string tenantKey, string sessionId, long after, long upTo)
    {
        Flush();
        return ReadAll(Cmd($"SELECT {MessageColumns} FROM parley_messages WHERE tenant_key = @p3 AND session_id = @p0 AND session_seq > @p1 AND session_seq <= @p2 " +
                           "ORDER BY session_seq", sessionId, after, upTo, tenantKey), r => Message(r));
    }

    public override long CountUnread(string tenantKey, string sessionId, Reader reader, long after)
    {
        Flush();
        var sql = reader == Reader.Agent
            ? "SELECT count(*) FROM parley_messages WHERE tenant_key = @p2 AND session_id = @p0 AND session_seq > @p1 AND sender_type = 'user'"
            : "SELECT count(*) FROM parley_messages WHERE tenant_key = @p2 AND session_id = @p0 AND session_seq > @p1 AND sender_type <> 'user'";
        return Convert.ToInt64(Cmd(sql, sessionId, after, tenantKey).ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    public override List<MessageRow> OldestBefore(DateTimeOffset cutoff, int limit)
    {
        Flush();
        return ReadAll(Cmd($"SELECT {MessageColumns} FROM parley_messages WHERE created_at < @p0 ORDER BY created_at, row_id LIMIT @p1{flavor.ForUpdate}", cutoff, limit),
            r => Message(r));
    }

    public override long CountBefore(DateTimeOffset cutoff)
    {
        Flush();
        return Convert.ToInt64(Cmd("SELECT count(*) FROM parley_messages WHERE created_at < @p0", cutoff).ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    public override void DeleteMessage(string tenantKey, string id)
    {
        _cached.GetValueOrDefault(id)?.RemoveAll(m => m.TenantKey == tenantKey);
        Defer("DELETE FROM parley_messages WHERE tenant_key = @p1 AND id = @p0", id, tenantKey);
    }

    public override DateTimeOffset? FirstCreatedFrom(string tenantKey, string sessionId, DateTimeOffset from)
    {
        Flush();
        using var r = Cmd($"SELECT created_at FROM parley_messages{flavor.ByCreatedIndex} WHERE created_at >= @p1 AND {flavor.NotIndexed("session_id")} = @p0 " +
                          $"AND {flavor.NotIndexed("tenant_key")} = @p2 ORDER BY created_at LIMIT 1",
            sessionId, from, tenantKey).ExecuteReader();
        return r.Read() ? Time(r, 0) : null;
    }

    public override bool EventExists(string tenantKey, string messageId, MessageStatus status, DateTimeOffset occurredAt, string? errorCode)
    {
        if (_eventsCached.Contains(messageId)) return _eventKeys.Contains((tenantKey, messageId, status, occurredAt, errorCode));
        Flush();
        return Cmd(_eventExists, messageId, WireNames.Of(status), occurredAt, errorCode, tenantKey).ExecuteScalar() is not (null or DBNull);
    }

    public override void InsertEvent(EventRow e)
    {
        NoteEvent(e);
        Exec(
        "INSERT INTO parley_message_events (message_id, status, occurred_at, recorded_at, source, error_code, error_message, detail, applied, outcome, tenant_key) " +
        "VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9, @p10)",
        e.MessageId, WireNames.Of(e.Status), e.OccurredAt, e.RecordedAt, e.Source, e.ErrorCode, e.ErrorMessage, new JsonText(e.DetailJson),
        e.Outcome == ReportOutcome.Applied, WireNames.Of(e.Outcome), e.TenantKey);
    }

    /// <summary>Keeps a prefetched view of events current with one this transaction wrote.</summary>
    protected void NoteEvent(EventRow e)
    {
        if (_eventsCached.Contains(e.MessageId)) _eventKeys.Add((e.TenantKey, e.MessageId, e.Status, e.OccurredAt, e.ErrorCode));
    }

    public override void Park(ParkedRow p) => Exec(
        "INSERT INTO parley_parked_reports (provider_message_id, channel, status, occurred_at, received_at, source, error_code, error_message, detail, tenant_key) " +
        "VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9)",
        p.ProviderMessageId, p.Channel, WireNames.Of(p.Status), p.OccurredAt, p.ReceivedAt, p.Source, p.ErrorCode, p.ErrorMessage, new JsonText(p.DetailJson),
        p.TenantKey);

    public override List<ParkedRow> TakeParked(string tenantKey, string providerMessageId, string channel)
    {
        Flush();
        var rows = ReadAll(Cmd($"SELECT {ParkedColumns} FROM parley_parked_reports WHERE provider_message_id = @p0 " +
                               "AND (channel IS NULL OR channel = @p1) AND (tenant_key IS NULL OR tenant_key = @p2) ORDER BY id",
                               providerMessageId, channel, tenantKey), Parked);
        foreach (var row in rows) Exec("DELETE FROM parley_parked_reports WHERE id = @p0", row.Id);
        return rows;
    }

    public override List<ParkedRow> ExpireParked(DateTimeOffset before)
    {
        Flush();
        var rows = ReadAll(Cmd($"SELECT {ParkedColumns} FROM parley_parked_reports WHERE received_at < @p0 ORDER BY id", before), Parked);
        foreach (var row in rows) Exec("DELETE FROM parley_parked_reports WHERE id = @p0", row.Id);
        return rows;
    }

    public override void InsertApiKey(ApiKey key, string hash) => Exec(
        "INSERT INTO parley_api_keys (id, hash, tenant, admin, name, created_at) VALUES (@p0, @p1, @p2, @p3, @p4, @p5)",
        key.Id, hash, key.Tenant, key.Admin, key.Name, key.CreatedAt);

    public override bool RevokeApiKey(string id, DateTimeOffset at) =>
        Exec("UPDATE parley_api_keys SET revoked_at = @p1 WHERE id = @p0 AND revoked_at IS NULL", id, at) > 0;

    public override void InsertSystemEvent(SystemEventLevel level, string source, string name, string? detailJson, DateTimeOffset at) => Exec(
        "INSERT INTO parley_system_events (level, source, event, detail, at) VALUES (@p0, @p1, @p2, @p3, @p4)",
        WireNames.Of(level), source, name, new JsonText(detailJson), at);

    protected static List<T> ReadAll<T>(DbCommand cmd, Func<DbDataReader, T> read)
    {
        var list = new List<T>();
        using var r = cmd.ExecuteReader();
        while (r.Read()) list.Add(read(r));
        return list;
    }

    public override void Dispose()
    {
        Discard();
        ForgetCommands();
        Connection.Dispose();
    }
}
