using System.Data.Common;
using System.Text;
using MySqlConnector;
using Parley.Internal;
using Parley.Internal.Kernel;
using Parley.Internal.Messages;
using Parley.Internal.Reports;

namespace Parley.MySql;

/// <summary>The writer's MySQL/MariaDB connection. Message and event inserts are buffered until the writer next reads
/// or commits, then join the deferred batch as multi-row <c>INSERT</c>s of up to 200 rows, which MySqlConnector sends
/// in one round trip with the session and summary updates and, at the end of a transaction, its <c>COMMIT</c>. The
/// session runs at READ COMMITTED: the writer's reads lock the rows they change (<c>FOR UPDATE</c>), and gap locks
/// would only add deadlocks. A dropped connection is replaced at the next <c>Begin</c>.</summary>
internal sealed class MySqlWriteStore : AdoWriteStore
{
    private const int RowsPerInsert = 200;
    private readonly MySqlDataSource _source;
    private MySqlConnection _conn;
    private readonly List<MessageRow> _messages = [];
    private readonly List<EventRow> _events = [];

    private const string EventColumns = "message_id, status, occurred_at, recorded_at, source, error_code, error_message, detail, applied, outcome, tenant_key";

    public MySqlWriteStore(MySqlDataSource source) : base(MySqlFlavor.Instance)
    {
        _source = source;
        _conn = Connect();
    }

    protected override DbConnection Connection => _conn;

    private MySqlConnection Connect()
    {
        var conn = _source.OpenConnection();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED";
        cmd.ExecuteNonQuery();
        return conn;
    }

    protected override void Reconnect()
    {
        _conn.Dispose();
        _conn = Connect();
    }

    protected override void DropInserts()
    {
        _messages.Clear();
        _events.Clear();
    }

    public override bool IsTransient(Exception error)
    {
        if (error is not MySqlException e) return false;
        if (e.ErrorCode is MySqlErrorCode.LockDeadlock or MySqlErrorCode.LockWaitTimeout || e.IsTransient) return true;
        // The connection was killed or the server went away: close it, and Begin opens a new one for the retry.
        if (e.InnerException is MySqlEndOfStreamException or IOException or System.Net.Sockets.SocketException ||
            e.ErrorCode is MySqlErrorCode.UnableToConnectToHost or (MySqlErrorCode)1927 or (MySqlErrorCode)2006 or (MySqlErrorCode)2013)
        {
            _conn.Close();
            return true;
        }
        return false;
    }

    public override bool IsDuplicate(Exception error) => error is MySqlException { ErrorCode: MySqlErrorCode.DuplicateKeyEntry };

    // Connection failures, and the server refusing writes: 1021 disk full, 1114 table full, 1040 too many
    // connections, 1042 cannot connect, 1053 shutting down, 1290/1836 read-only, the client-side range 2000–2999 (lost
    // or refused connections) and 4031 (the server closed an idle connection). Server errors above 3000 (invalid
    // JSON, a statement timeout) are failures of the write itself and must not be spooled.
    public override bool IsUnavailable(Exception error) => IsTransient(error) || error switch
    {
        MySqlException e => (int)e.ErrorCode is 1021 or 1114 or 1040 or 1042 or 1053 or 1290 or 1836 or (>= 2000 and < 3000) or 4031,
        IOException or System.Net.Sockets.SocketException or TimeoutException => true,
        _ => false,
    };

    public override void InsertMessage(MessageRow message)
    {
        Remember(message);
        _messages.Add(message);
    }

    protected override bool PrefetchReads => true;
    public override void InsertEvent(EventRow e)
    {
        NoteEvent(e);
        _events.Add(e);
    }

    protected override void FlushInserts()
    {
        // Messages first: events refer to them.
        foreach (var chunk in _messages.Chunk(RowsPerInsert)) DeferInsert("parley_messages", RowReaders.MessageColumns, chunk.Select(Values).ToList());
        _messages.Clear();
        foreach (var chunk in _events.Chunk(RowsPerInsert)) DeferInsert("parley_message_events", EventColumns, chunk.Select(Values).ToList());
        _events.Clear();
    }

    protected override string BatchedCommit => "COMMIT";

    private const int RowsPerUpdate = 500;

    protected override int UpdateDeliveriesFrom => 2;

    protected override void UpdateDeliveries(MessageRow[] rows)
    {
        foreach (var chunk in rows.Chunk(RowsPerUpdate)) UpdateMany(chunk);
    }

    /// <summary>Many delivery changes in one statement: the new states form a derived table (one <c>SELECT</c> of
    /// values per message, joined by <c>UNION ALL</c>) joined to the table through its unique id index.</summary>
    private void UpdateMany(MessageRow[] rows)
    {
        var sql = new StringBuilder("UPDATE parley_messages m JOIN (");
        using var cmd = _conn.CreateCommand();
        for (var i = 0; i < rows.Length; i++)
        {
            var m = rows[i];
            var d = m.Delivery;
            sql.Append(i == 0 ? "SELECT " : " UNION ALL SELECT ");
            AppendValues(sql, cmd.Parameters,
            [
                m.Id, WireNames.Of(d.Status), d.SentAt, d.DeliveredAt, d.ReadAt, d.FailedAt, d.CancelledAt, d.SentImplied, d.DeliveredImplied,
                m.ProviderMessageId, d.ErrorCode, d.ErrorMessage, d.ErrorAt, m.UpdatedAt, m.TenantKey,
            ], i == 0 ? DeliveryColumns : null);
        }
        sql.Append(") v ON m.tenant_key = v.tenant_key COLLATE utf8mb4_bin AND m.id = v.id COLLATE utf8mb4_bin SET m.status = v.status, m.sent_at = v.sent_at, m.delivered_at = v.delivered_at, ")
            .Append("m.read_at = v.read_at, m.failed_at = v.failed_at, m.cancelled_at = v.cancelled_at, m.sent_implied = v.sent_implied, ")
            .Append("m.delivered_implied = v.delivered_implied, m.provider_message_id = v.provider_message_id, m.error_code = v.error_code, ")
            .Append("m.error_message = v.error_message, m.error_at = v.error_at, m.updated_at = v.updated_at");
        cmd.CommandText = sql.ToString();
        cmd.ExecuteNonQuery();
    }

    private static readonly string[] DeliveryColumns =
    [
        "id", "status", "sent_at", "delivered_at", "read_at", "failed_at", "cancelled_at", "sent_implied", "delivered_implied",
        "provider_message_id", "error_code", "error_message", "error_at", "updated_at", "tenant_key",
    ];

    private static object?[] Values(MessageRow m)
    {
        var d = m.Delivery;
        return
        [
            m.Id, m.SessionId, m.SessionSeq, m.IdempotencyKey, WireNames.Of(m.Direction), WireNames.Of(m.SenderType), m.SenderId, m.SenderName,
            m.Channel, m.Recipient, m.Template, m.Subject, m.Content, WireNames.Of(d.Status), d.SentAt, d.DeliveredAt, d.ReadAt, d.FailedAt,
            d.CancelledAt, d.SentImplied, d.DeliveredImplied, m.ProviderMessageId, d.ErrorCode, d.ErrorMessage, d.ErrorAt,
            new JsonText(m.MetadataJson), m.CreatedAt, m.UpdatedAt, m.TenantKey,
        ];
    }

    private static object?[] Values(EventRow e) =>
    [
        e.MessageId, WireNames.Of(e.Status), e.OccurredAt, e.RecordedAt, e.Source, e.ErrorCode, e.ErrorMessage, new JsonText(e.DetailJson),
        e.Outcome == ReportOutcome.Applied, WireNames.Of(e.Outcome), e.TenantKey,
    ];

    /// <summary>One multi-row INSERT into the deferred batch.</summary>
    private void DeferInsert(string table, string columnList, List<object?[]> rows)
    {
        var sql = new StringBuilder($"INSERT INTO {table} ({columnList}) VALUES ");
        var cmd = DeferCommand("");
        for (var i = 0; i < rows.Count; i++)
        {
            sql.Append(i == 0 ? "(" : ", (");
            AppendValues(sql, cmd.Parameters, rows[i], null);
            sql.Append(')');
        }
        cmd.CommandText = sql.ToString();
    }

    /// <summary>Appends <paramref name="values"/>, comma-separated (each <c>AS</c> its name when
    /// <paramref name="names"/> are given): nulls and flags as the keywords <c>NULL</c>, <c>TRUE</c> and
    /// <c>FALSE</c>, every other value as a positional <c>?</c> bound in <paramref name="parameters"/>. Half of a
    /// typical message's columns are null, and MySqlConnector substitutes each parameter into the statement's text
    /// (writing these same keywords for them), so fewer parameters cost less on both sides; no data is ever
    /// written into the text.</summary>
    private void AppendValues(StringBuilder sql, DbParameterCollection parameters, object?[] values, string[]? names)
    {
        for (var c = 0; c < values.Length; c++)
        {
            if (c > 0) sql.Append(", ");
            switch (values[c])
            {
                case null or JsonText { Value: null }:
                    sql.Append("NULL");
                    break;
                case bool flag:
                    sql.Append(flag ? "TRUE" : "FALSE");
                    break;
                case var value:
                    sql.Append('?');
                    var p = new MySqlParameter();
                    Flavor.Bind(p, value);
                    parameters.Add(p);
                    break;
            }
            if (names is not null) sql.Append(" AS ").Append(names[c]);
        }
    }

    public override object? ReadSetting(string name)
    {
        if (name is not ("transaction_isolation" or "tx_isolation" or "version" or "innodb_flush_log_at_trx_commit"))
            throw new ArgumentException($"{name} is not a setting Parley reads.", nameof(name));
        using var cmd = _conn.CreateCommand();
        cmd.CommandText = "SELECT @@" + name;
        return cmd.ExecuteScalar();
    }
}
