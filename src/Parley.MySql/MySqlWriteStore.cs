using System.Data.Common;
using System.Globalization;
using System.Text;
using MySqlConnector;
using Parley.Internal;
using Parley.Internal.Data;
using Parley.Internal.Lifecycle;

namespace Parley.MySql;

/// <summary>The writer's MySQL/MariaDB connection. Message and event inserts are buffered and written as multi-row
/// <c>INSERT</c>s when the writer next reads or commits, one round trip per 200 rows instead of one per row. The
/// session runs at READ COMMITTED: the writer's reads lock the rows they change (<c>FOR UPDATE</c>), and gap locks
/// would only add deadlocks. A dropped connection is replaced at the next <c>Begin</c>.</summary>
internal sealed class MySqlWriteStore : AdoWriteStore
{
    private const int RowsPerInsert = 200;
    private readonly MySqlDataSource _source;
    private MySqlConnection _conn;
    private readonly List<MessageRow> _messages = [];
    private readonly List<EventRow> _events = [];

    private const string EventColumns = "message_id, status, occurred_at, recorded_at, source, error_code, error_message, detail, applied, outcome";

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

    // Connection failures, and the server refusing writes: 1021 disk full, 1114 table full, 1040 too many
    // connections, 1053 shutting down, 1290/1836 read-only.
    public override bool IsUnavailable(Exception error) => IsTransient(error) || error switch
    {
        MySqlException e => (int)e.ErrorCode is 1021 or 1114 or 1040 or 1042 or 1053 or 1290 or 1836 || (int)e.ErrorCode >= 2000,
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
        if (_messages.Count == 1) base.InsertMessage(_messages[0]);
        else foreach (var chunk in _messages.Chunk(RowsPerInsert)) InsertMany("parley_messages", RowReaders.MessageColumns, chunk.Select(Values).ToList());
        _messages.Clear();
        if (_events.Count == 1) base.InsertEvent(_events[0]);
        else foreach (var chunk in _events.Chunk(RowsPerInsert)) InsertMany("parley_message_events", EventColumns, chunk.Select(Values).ToList());
        _events.Clear();
    }

    private static object?[] Values(MessageRow m)
    {
        var d = m.Delivery;
        return
        [
            m.Id, m.SessionId, m.SessionSeq, m.IdempotencyKey, WireNames.Of(m.Direction), WireNames.Of(m.SenderType), m.SenderId, m.SenderName,
            m.Channel, m.Recipient, m.Template, m.Subject, m.Content, WireNames.Of(d.Status), d.SentAt, d.DeliveredAt, d.ReadAt, d.FailedAt,
            d.CancelledAt, d.SentImplied, d.DeliveredImplied, m.ProviderMessageId, d.ErrorCode, d.ErrorMessage, d.ErrorAt,
            new JsonText(m.MetadataJson), m.CreatedAt, m.UpdatedAt,
        ];
    }

    private static object?[] Values(EventRow e) =>
    [
        e.MessageId, WireNames.Of(e.Status), e.OccurredAt, e.RecordedAt, e.Source, e.ErrorCode, e.ErrorMessage, new JsonText(e.DetailJson),
        e.Outcome == ReportOutcome.Applied, WireNames.Of(e.Outcome),
    ];

    private void InsertMany(string table, string columnList, List<object?[]> rows)
    {
        var sql = new StringBuilder($"INSERT INTO {table} ({columnList}) VALUES ");
        using var cmd = _conn.CreateCommand();
        for (var i = 0; i < rows.Count; i++)
        {
            var values = rows[i];
            var columns = values.Length;
            sql.Append(i == 0 ? "(" : ", (");
            for (var c = 0; c < columns; c++) sql.Append(c == 0 ? "@" : ", @").Append('r').Append(i.ToString(CultureInfo.InvariantCulture)).Append('_').Append(c.ToString(CultureInfo.InvariantCulture));
            sql.Append(')');
            for (var c = 0; c < columns; c++)
            {
                var p = cmd.CreateParameter();
                p.ParameterName = $"@r{i.ToString(CultureInfo.InvariantCulture)}_{c.ToString(CultureInfo.InvariantCulture)}";
                Flavor.Bind(p, values[c]);
                cmd.Parameters.Add(p);
            }
        }
        cmd.CommandText = sql.ToString();
        cmd.ExecuteNonQuery();
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
