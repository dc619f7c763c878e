using System.Data.Common;
using Microsoft.Data.Sqlite;
using Parley.Internal.Kernel;
using Parley.Internal.Messages;
using Parley.Internal.Reports;
using static Parley.Internal.Kernel.RowReaders;

namespace Parley.Internal.Sqlite;

/// <summary>The writer's SQLite connection: the shared statements of <see cref="AdoWriteStore"/>, with the three
/// every write runs (message insert, event insert, delivery update) bound by position through
/// <see cref="RawStatement"/>. Transactions are <c>BEGIN IMMEDIATE</c>/<c>COMMIT</c> so the write lock is taken up
/// front and a busy database fails at <c>BEGIN</c>, where retrying is safe.</summary>
internal sealed class SqliteWriteStore(SqliteConnection conn, SqliteCheckpointer? checkpointer = null, TimeSpan busyTimeout = default,
    SqliteWalGuard? walGuard = null) : AdoWriteStore(SqliteFlavor.Instance)
{
    private RawStatement? _insertNew, _insertFull, _updateDelivery, _insertEvent;
    private IOException? _walLost;

    protected override DbConnection Connection => conn;

    /// <summary>Refuses to begin once the WAL was lost (<see cref="SqliteWalGuard"/>): nothing more goes into a file
    /// that will not survive the process, so writes go to the spool (or fail as unavailable) until a restart.</summary>
    public override void Begin()
    {
        if (_walLost is not null) throw _walLost;
        base.Begin();
    }

    /// <summary>Commits, then checks that the commit went into the WAL file at the database's path. If it did not, the
    /// commit is not acknowledged: a FULL checkpoint copies what the lost WAL holds into the database file (and syncs
    /// it), and the failure is an <see cref="IOException"/>, which sends the calls to the spool; replaying them is
    /// idempotent, so whatever the checkpoint saved is not written twice.</summary>
    public override void Commit()
    {
        base.Commit();
        if (walGuard is null || walGuard.Intact()) return;
        var saved = SQLitePCL.raw.sqlite3_wal_checkpoint_v2(conn.Handle, "main", SQLitePCL.raw.SQLITE_CHECKPOINT_FULL, out var log, out var copied)
            == SQLitePCL.raw.SQLITE_OK && log == copied;
        _walLost = new IOException($"{walGuard.WalPath} was deleted or replaced while Parley was writing it; " +
            (saved ? "what it held was copied into the database file. " : "copying what it held into the database file did not complete. ") +
            "Writes go to the spool until Parley is restarted (docs/reliability.md).");
        throw _walLost;
    }

    public override void Rollback()
    {
        // After some errors SQLite has already rolled back; a second ROLLBACK would fail.
        if (SQLitePCL.raw.sqlite3_get_autocommit(conn.Handle) != 0) return;
        base.Rollback();
    }

    /// <summary>Restarts the WAL when the checkpointer asks (<see cref="SqliteCheckpointer"/>): a RESTART checkpoint
    /// copies what the background PASSIVE checkpoints have not yet and makes the next transaction write the WAL from
    /// its beginning. It does not wait: a reader still on the WAL, or a checkpoint in flight, makes it give up at once
    /// (it then does what it can, as PASSIVE), and the checkpointer asks again at its next pass.</summary>
    public override void AfterCommit()
    {
        if (checkpointer is null || !checkpointer.TakeRestartRequest()) return;
        SqliteCheckpointer.Restart(conn.Handle!, TimeSpan.Zero, busyTimeout);
    }

    // SQLITE_BUSY, _LOCKED, _READONLY, _IOERR, _FULL, _CANTOPEN: the file cannot be written now; it may be later.
    public override bool IsUnavailable(Exception error) =>
        error is SqliteException { SqliteErrorCode: 5 or 6 or 8 or 10 or 13 or 14 } or IOException;

    /// <summary>The lost WAL is not transient: retrying it would only wait.</summary>
    public override bool IsTransient(Exception error) =>
        error is SqliteException { SqliteErrorCode: 5 or 6 }; // SQLITE_BUSY, SQLITE_LOCKED

    public override void InsertMessage(MessageRow m)
    {
        var d = m.Delivery;
        RawStatement stmt;
        if (d == new DeliveryState { Status = d.Status })
        {
            // No delivery times or errors yet (every newly logged outbound message): the nine delivery columns take
            // their declared defaults, nine fewer parameters to bind.
            stmt = _insertNew ??= new RawStatement(conn,
                "INSERT INTO parley_messages (id, session_id, session_seq, idempotency_key, direction, sender_type, sender_id, sender_name, " +
                "channel, recipient, template, subject, content, status, provider_message_id, metadata, created_at, updated_at, tenant_key) " +
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)");
            BindCommon(stmt, m).Text(15, m.ProviderMessageId).Text(16, m.MetadataJson).Time(17, m.CreatedAt).Time(18, m.UpdatedAt).Text(19, m.TenantKey).Run();
            return;
        }
        stmt = _insertFull ??= new RawStatement(conn,
            $"INSERT INTO parley_messages ({MessageColumns}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, " +
            "?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29)");
        BindCommon(stmt, m).Time(15, d.SentAt).Time(16, d.DeliveredAt).Time(17, d.ReadAt).Time(18, d.FailedAt).Time(19, d.CancelledAt)
            .Integer(20, d.SentImplied ? 1 : 0).Integer(21, d.DeliveredImplied ? 1 : 0).Text(22, m.ProviderMessageId)
            .Text(23, d.ErrorCode).Text(24, d.ErrorMessage).Time(25, d.ErrorAt).Text(26, m.MetadataJson)
            .Time(27, m.CreatedAt).Time(28, m.UpdatedAt).Text(29, m.TenantKey).Run();
    }

    // The first fourteen columns of MessageColumns, shared by both inserts.
    private static RawStatement BindCommon(RawStatement stmt, MessageRow m) => stmt
        .Text(1, m.Id).Text(2, m.SessionId).Integer(3, m.SessionSeq).Text(4, m.IdempotencyKey).Text(5, WireNames.Of(m.Direction))
        .Text(6, WireNames.Of(m.SenderType)).Text(7, m.SenderId).Text(8, m.SenderName).Text(9, m.Channel).Text(10, m.Recipient)
        .Text(11, m.Template).Text(12, m.Subject).Text(13, m.Content).Text(14, WireNames.Of(m.Delivery.Status));

    public override void UpdateDelivery(MessageRow m)
    {
        var d = m.Delivery;
        (_updateDelivery ??= new RawStatement(conn,
                "UPDATE parley_messages SET status = ?2, sent_at = ?3, delivered_at = ?4, read_at = ?5, failed_at = ?6, cancelled_at = ?7, " +
                "sent_implied = ?8, delivered_implied = ?9, provider_message_id = ?10, error_code = ?11, error_message = ?12, error_at = ?13, " +
                "updated_at = ?14 WHERE tenant_key = ?15 AND id = ?1"))
            .Text(1, m.Id).Text(2, WireNames.Of(d.Status)).Time(3, d.SentAt).Time(4, d.DeliveredAt).Time(5, d.ReadAt).Time(6, d.FailedAt)
            .Time(7, d.CancelledAt).Integer(8, d.SentImplied ? 1 : 0).Integer(9, d.DeliveredImplied ? 1 : 0).Text(10, m.ProviderMessageId)
            .Text(11, d.ErrorCode).Text(12, d.ErrorMessage).Time(13, d.ErrorAt).Time(14, m.UpdatedAt).Text(15, m.TenantKey).Run();
    }

    public override void InsertEvent(EventRow e) =>
        (_insertEvent ??= new RawStatement(conn,
            "INSERT INTO parley_message_events (message_id, status, occurred_at, recorded_at, source, error_code, error_message, detail, applied, outcome, tenant_key) " +
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"))
        .Text(1, e.MessageId).Text(2, WireNames.Of(e.Status)).Time(3, e.OccurredAt).Time(4, e.RecordedAt).Text(5, e.Source)
        .Text(6, e.ErrorCode).Text(7, e.ErrorMessage).Text(8, e.DetailJson).Integer(9, e.Outcome == ReportOutcome.Applied ? 1 : 0)
        .Text(10, WireNames.Of(e.Outcome)).Text(11, e.TenantKey).Run();

    public override object? ReadSetting(string name)
    {
        if (name is not ("synchronous" or "journal_mode" or "foreign_keys" or "busy_timeout" or "wal_autocheckpoint"))
            throw new ArgumentException($"{name} is not a setting Parley reads.", nameof(name));
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "PRAGMA " + name;
        return cmd.ExecuteScalar();
    }

    public override void Dispose()
    {
        foreach (var stmt in (RawStatement?[])[_insertNew, _insertFull, _updateDelivery, _insertEvent]) stmt?.Dispose();
        base.Dispose();
    }
}
