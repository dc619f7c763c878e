using System.Data.Common;
using Npgsql;
using NpgsqlTypes;
using Parley.Internal;
using Parley.Internal.Kernel;
using Parley.Internal.Messages;
using Parley.Internal.Reports;

namespace Parley.PostgreSql;

/// <summary>The writer's PostgreSQL connection. Message and event inserts are buffered until the writer next reads
/// or commits. Then a group of up to <see cref="CopyFrom"/> rows becomes one <c>INSERT … SELECT FROM unnest(…)</c>
/// (one array per column) in the deferred batch, which also carries the session and summary updates and, at the end
/// of a transaction, its <c>COMMIT</c>: one round trip for all of them. Larger groups are written by a binary
/// <c>COPY</c>, which streams. A dropped connection is replaced at the next <c>Begin</c>, so the writer's retry runs
/// on a fresh one.</summary>
internal sealed class PostgresWriteStore(NpgsqlDataSource source) : AdoWriteStore(PostgresFlavor.Instance)
{
    /// <summary>From this many rows a binary COPY (two round trips of its own, the rows streamed as they are
    /// encoded) beats an insert riding in the deferred batch.</summary>
    private const int CopyFrom = 1000;

    /// <summary>From this many delivery changes, one <c>UPDATE … FROM unnest(…)</c> beats one UPDATE each.</summary>
    private const int UnnestFrom = 8;

    private NpgsqlConnection _conn = source.OpenConnection();
    private readonly List<MessageRow> _messages = [];
    private readonly List<EventRow> _events = [];

    protected override DbConnection Connection => _conn;

    protected override void Reconnect()
    {
        DropTransaction();
        _conn.Dispose();
        _conn = source.OpenConnection();
    }

    private NpgsqlTransaction? _tx;

    // Npgsql sends nothing for BeginTransaction: BEGIN goes out with the transaction's first statement (the sessions'
    // SELECT … FOR UPDATE), one round trip fewer per commit than a BEGIN of its own. Read committed, as before.
    protected override void StartTransaction()
    {
        DropTransaction();
        _tx = _conn.BeginTransaction(System.Data.IsolationLevel.ReadCommitted);
    }

    protected override void CommitTransaction()
    {
        var tx = _tx ?? throw new InvalidOperationException("no transaction to commit.");
        _tx = null;
        using (tx) tx.Commit();
    }

    protected override string BatchedCommit => "COMMIT";

    // The server has ended the transaction, and Npgsql knows it (the batch's last ReadyForQuery said idle):
    // disposing sends nothing.
    protected override void CommittedInBatch() => DropTransaction();

    // Disposing rolls back a transaction still open and sends nothing for one the server already ended (a failed
    // batched COMMIT); a dropped connection has rolled back by itself.
    protected override void RollbackTransaction() => DropTransaction();

    private void DropTransaction()
    {
        _tx?.Dispose();
        _tx = null;
    }

    protected override void DropInserts()
    {
        _messages.Clear();
        _events.Clear();
    }

    public override bool IsTransient(Exception error) => error switch
    {
        PostgresException { SqlState: "40001" or "40P01" or "55P03" or "57P01" or "57P03" } => true,
        NpgsqlException { IsTransient: true } => true,
        _ => false,
    };

    public override bool IsDuplicate(Exception error) => error is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    // Connection failures, and the server refusing writes: 08 connection, 53 out of resources (53100 disk full),
    // 57P admin shutdown and startup, 25006 read-only transaction (a standby).
    public override bool IsUnavailable(Exception error) => IsTransient(error) || error switch
    {
        PostgresException p => p.SqlState.StartsWith("08", StringComparison.Ordinal) || p.SqlState.StartsWith("53", StringComparison.Ordinal) ||
                               p.SqlState.StartsWith("57P", StringComparison.Ordinal) || p.SqlState == "25006",
        NpgsqlException => true,
        IOException or System.Net.Sockets.SocketException or TimeoutException => true,
        _ => false,
    };

    public override void InsertMessage(MessageRow message)
    {
        Remember(message);
        _messages.Add(message);
    }

    protected override bool PrefetchReads => true;

    // The prefetch's queries take a list of ids, and their cached generic plan is made once, maybe while a table was
    // still small (a fresh database): it kept scanning the whole event table until the next ANALYZE, 0.6 s a query.
    // Custom plans for them only: set for every statement, the foreign-key checks would be planned for every row.
    protected override void PlanEachQuery(bool custom) =>
        Exec(custom ? "SET LOCAL plan_cache_mode = force_custom_plan" : "SET LOCAL plan_cache_mode = auto");
    public override void InsertEvent(EventRow e)
    {
        NoteEvent(e);
        _events.Add(e);
    }

    // Messages first: events refer to them. Both wait in the deferred batch unless COPY takes them.
    protected override void FlushInserts()
    {
        if (_messages.Count > 0)
        {
            if (_messages.Count < CopyFrom) DeferMessages();
            else CopyMessages();
            _messages.Clear();
        }
        if (_events.Count > 0)
        {
            if (_events.Count < CopyFrom) DeferEvents();
            else CopyEvents();
            _events.Clear();
        }
    }

    private static DateTime? At(DateTimeOffset? t) => t?.UtcDateTime;

    /// <summary>Adds to <paramref name="cmd"/> one array parameter: <paramref name="column"/> of every row.</summary>
    private static void Column<TRow, T>(DbBatchCommand cmd, TRow[] rows, NpgsqlDbType type, Func<TRow, T> column) =>
        cmd.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | type, Value = Array.ConvertAll(rows, r => column(r)) });

    private void DeferMessages()
    {
        var rows = _messages.ToArray();
        var cmd = DeferCommand(InsertMessagesSql);
        Column(cmd, rows, NpgsqlDbType.Varchar, m => m.Id);
        Column(cmd, rows, NpgsqlDbType.Varchar, m => m.SessionId);
        Column(cmd, rows, NpgsqlDbType.Bigint, m => m.SessionSeq);
        Column(cmd, rows, NpgsqlDbType.Varchar, m => m.IdempotencyKey);
        Column(cmd, rows, NpgsqlDbType.Varchar, m => WireNames.Of(m.Direction));
        Column(cmd, rows, NpgsqlDbType.Varchar, m => WireNames.Of(m.SenderType));
        Column(cmd, rows, NpgsqlDbType.Varchar, m => m.SenderId);
        Column(cmd, rows, NpgsqlDbType.Varchar, m => m.SenderName);
        Column(cmd, rows, NpgsqlDbType.Varchar, m => m.Channel);
        Column(cmd, rows, NpgsqlDbType.Varchar, m => m.Recipient);
        Column(cmd, rows, NpgsqlDbType.Varchar, m => m.Template);
        Column(cmd, rows, NpgsqlDbType.Varchar, m => m.Subject);
        Column(cmd, rows, NpgsqlDbType.Text, m => m.Content);
        Column(cmd, rows, NpgsqlDbType.Varchar, m => WireNames.Of(m.Delivery.Status));
        Column(cmd, rows, NpgsqlDbType.TimestampTz, m => At(m.Delivery.SentAt));
        Column(cmd, rows, NpgsqlDbType.TimestampTz, m => At(m.Delivery.DeliveredAt));
        Column(cmd, rows, NpgsqlDbType.TimestampTz, m => At(m.Delivery.ReadAt));
        Column(cmd, rows, NpgsqlDbType.TimestampTz, m => At(m.Delivery.FailedAt));
        Column(cmd, rows, NpgsqlDbType.TimestampTz, m => At(m.Delivery.CancelledAt));
        Column(cmd, rows, NpgsqlDbType.Boolean, m => m.Delivery.SentImplied);
        Column(cmd, rows, NpgsqlDbType.Boolean, m => m.Delivery.DeliveredImplied);
        Column(cmd, rows, NpgsqlDbType.Varchar, m => m.ProviderMessageId);
        Column(cmd, rows, NpgsqlDbType.Varchar, m => m.Delivery.ErrorCode);
        Column(cmd, rows, NpgsqlDbType.Varchar, m => m.Delivery.ErrorMessage);
        Column(cmd, rows, NpgsqlDbType.TimestampTz, m => At(m.Delivery.ErrorAt));
        Column(cmd, rows, NpgsqlDbType.Jsonb, m => m.MetadataJson);
        Column(cmd, rows, NpgsqlDbType.TimestampTz, m => m.CreatedAt.UtcDateTime);
        Column(cmd, rows, NpgsqlDbType.TimestampTz, m => m.UpdatedAt.UtcDateTime);
        Column(cmd, rows, NpgsqlDbType.Varchar, m => m.TenantKey);
    }

    private const string InsertMessagesSql =
        $"INSERT INTO parley_messages ({RowReaders.MessageColumns}) SELECT * FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, " +
        "$15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29)";

    private void DeferEvents()
    {
        var rows = _events.ToArray();
        var cmd = DeferCommand(InsertEventsSql);
        Column(cmd, rows, NpgsqlDbType.Varchar, e => e.MessageId);
        Column(cmd, rows, NpgsqlDbType.Varchar, e => WireNames.Of(e.Status));
        Column(cmd, rows, NpgsqlDbType.TimestampTz, e => e.OccurredAt.UtcDateTime);
        Column(cmd, rows, NpgsqlDbType.TimestampTz, e => e.RecordedAt.UtcDateTime);
        Column(cmd, rows, NpgsqlDbType.Varchar, e => e.Source);
        Column(cmd, rows, NpgsqlDbType.Varchar, e => e.ErrorCode);
        Column(cmd, rows, NpgsqlDbType.Varchar, e => e.ErrorMessage);
        Column(cmd, rows, NpgsqlDbType.Jsonb, e => e.DetailJson);
        Column(cmd, rows, NpgsqlDbType.Boolean, e => e.Outcome == ReportOutcome.Applied);
        Column(cmd, rows, NpgsqlDbType.Varchar, e => WireNames.Of(e.Outcome));
        Column(cmd, rows, NpgsqlDbType.Varchar, e => e.TenantKey);
    }

    private const string EventColumns = "message_id, status, occurred_at, recorded_at, source, error_code, error_message, detail, applied, outcome, tenant_key";

    private const string InsertEventsSql = $"INSERT INTO parley_message_events ({EventColumns}) SELECT * FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

    protected override int UpdateDeliveriesFrom => UnnestFrom;

    /// <summary>The new states travel as one array per column and join the table through <c>unnest</c>, so a batch of
    /// 1,000 reports is one UPDATE, not 1,000; it waits in the deferred batch like every other write.</summary>
    protected override void UpdateDeliveries(MessageRow[] rows)
    {
        var cmd = DeferCommand(UpdateDeliveriesSql);
        void Add<T>(NpgsqlDbType type, Func<MessageRow, T> column) => Column(cmd, rows, type, column);
        Add(NpgsqlDbType.Text, m => m.Id);
        Add(NpgsqlDbType.Text, m => WireNames.Of(m.Delivery.Status));
        Add(NpgsqlDbType.TimestampTz, m => At(m.Delivery.SentAt));
        Add(NpgsqlDbType.TimestampTz, m => At(m.Delivery.DeliveredAt));
        Add(NpgsqlDbType.TimestampTz, m => At(m.Delivery.ReadAt));
        Add(NpgsqlDbType.TimestampTz, m => At(m.Delivery.FailedAt));
        Add(NpgsqlDbType.TimestampTz, m => At(m.Delivery.CancelledAt));
        Add(NpgsqlDbType.Boolean, m => m.Delivery.SentImplied);
        Add(NpgsqlDbType.Boolean, m => m.Delivery.DeliveredImplied);
        Add(NpgsqlDbType.Text, m => m.ProviderMessageId);
        Add(NpgsqlDbType.Text, m => m.Delivery.ErrorCode);
        Add(NpgsqlDbType.Text, m => m.Delivery.ErrorMessage);
        Add(NpgsqlDbType.TimestampTz, m => At(m.Delivery.ErrorAt));
        Add(NpgsqlDbType.TimestampTz, m => m.UpdatedAt.UtcDateTime);
        Add(NpgsqlDbType.Text, m => m.TenantKey);
    }

    private const string UpdateDeliveriesSql =
        "UPDATE parley_messages AS m SET status = v.status, sent_at = v.sent_at, delivered_at = v.delivered_at, read_at = v.read_at, " +
        "failed_at = v.failed_at, cancelled_at = v.cancelled_at, sent_implied = v.sent_implied, delivered_implied = v.delivered_implied, " +
        "provider_message_id = v.provider_message_id, error_code = v.error_code, error_message = v.error_message, error_at = v.error_at, " +
        "updated_at = v.updated_at " +
        "FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) " +
        "AS v(id, status, sent_at, delivered_at, read_at, failed_at, cancelled_at, sent_implied, delivered_implied, provider_message_id, " +
        "error_code, error_message, error_at, updated_at, tenant_key) WHERE m.tenant_key = v.tenant_key AND m.id = v.id";

    private void CopyMessages()
    {
        using var w = _conn.BeginBinaryImport($"COPY parley_messages ({RowReaders.MessageColumns}) FROM STDIN (FORMAT BINARY)");
        foreach (var m in _messages)
        {
            var d = m.Delivery;
            w.StartRow();
            w.Write(m.Id, NpgsqlDbType.Varchar);
            w.Write(m.SessionId, NpgsqlDbType.Varchar);
            w.Write(m.SessionSeq, NpgsqlDbType.Bigint);
            Text(w, m.IdempotencyKey);
            w.Write(WireNames.Of(m.Direction), NpgsqlDbType.Varchar);
            w.Write(WireNames.Of(m.SenderType), NpgsqlDbType.Varchar);
            Text(w, m.SenderId);
            Text(w, m.SenderName);
            w.Write(m.Channel, NpgsqlDbType.Varchar);
            Text(w, m.Recipient);
            Text(w, m.Template);
            Text(w, m.Subject);
            w.Write(m.Content, NpgsqlDbType.Text);
            w.Write(WireNames.Of(d.Status), NpgsqlDbType.Varchar);
            Time(w, d.SentAt);
            Time(w, d.DeliveredAt);
            Time(w, d.ReadAt);
            Time(w, d.FailedAt);
            Time(w, d.CancelledAt);
            w.Write(d.SentImplied, NpgsqlDbType.Boolean);
            w.Write(d.DeliveredImplied, NpgsqlDbType.Boolean);
            Text(w, m.ProviderMessageId);
            Text(w, d.ErrorCode);
            Text(w, d.ErrorMessage);
            Time(w, d.ErrorAt);
            Json(w, m.MetadataJson);
            Time(w, m.CreatedAt);
            Time(w, m.UpdatedAt);
            w.Write(m.TenantKey, NpgsqlDbType.Varchar);
        }
        w.Complete();
    }

    private void CopyEvents()
    {
        using var w = _conn.BeginBinaryImport($"COPY parley_message_events ({EventColumns}) FROM STDIN (FORMAT BINARY)");
        foreach (var e in _events)
        {
            w.StartRow();
            w.Write(e.MessageId, NpgsqlDbType.Varchar);
            w.Write(WireNames.Of(e.Status), NpgsqlDbType.Varchar);
            Time(w, e.OccurredAt);
            Time(w, e.RecordedAt);
            w.Write(e.Source, NpgsqlDbType.Varchar);
            Text(w, e.ErrorCode);
            Text(w, e.ErrorMessage);
            Json(w, e.DetailJson);
            w.Write(e.Outcome == ReportOutcome.Applied, NpgsqlDbType.Boolean);
            w.Write(WireNames.Of(e.Outcome), NpgsqlDbType.Varchar);
            w.Write(e.TenantKey, NpgsqlDbType.Varchar);
        }
        w.Complete();
    }

    private static void Text(NpgsqlBinaryImporter w, string? value)
    {
        if (value is null) w.WriteNull();
        else w.Write(value, NpgsqlDbType.Varchar);
    }

    private static void Json(NpgsqlBinaryImporter w, string? value)
    {
        if (value is null) w.WriteNull();
        else w.Write(value, NpgsqlDbType.Jsonb);
    }

    private static void Time(NpgsqlBinaryImporter w, DateTimeOffset? value)
    {
        if (value is { } v) w.Write(v.UtcDateTime, NpgsqlDbType.TimestampTz);
        else w.WriteNull();
    }

    public override object? ReadSetting(string name)
    {
        if (name is not ("synchronous_commit" or "transaction_isolation" or "server_version"))
            throw new ArgumentException($"{name} is not a setting Parley reads.", nameof(name));
        using var cmd = _conn.CreateCommand();
        cmd.CommandText = "SHOW " + name;
        return cmd.ExecuteScalar();
    }
}
