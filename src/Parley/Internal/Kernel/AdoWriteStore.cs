using System.Data.Common;
using System.Globalization;
using Parley.Internal.Keys;
using Parley.Internal.Messages;
using Parley.Internal.ReadMarkers;
using Parley.Internal.Reports;
using Parley.Internal.Retention;
using Parley.Internal.Sessions;
using Parley.Internal.SystemEvents;

namespace Parley.Internal.Kernel;

/// <summary>The writer's side of every engine in one place: the SQL each <see cref="WriteStore"/> call runs, over
/// one connection, with each command built once and re-bound on every call. An engine supplies its
/// <see cref="SqlFlavor"/>, says which errors are transient, and may take over the statements every write runs
/// (SQLite binds them by position; PostgreSQL buffers inserts into a binary COPY). Buffered inserts, then the
/// transaction's delivery changes (one statement where the engine has <see cref="UpdateDeliveries"/>), are written by
/// <see cref="Flush"/>, which runs before every read of messages, events or parked reports and before the commit.</summary>
internal abstract partial class AdoWriteStore(SqlFlavor flavor) : WriteStore,
    ISessionWrites, IMessageWrites, IReadMarkerWrites, IReportWrites, IRetentionWrites, IKeyWrites, ISystemEventWrites
{
    public override ISessionWrites Sessions => this;
    public override IMessageWrites Messages => this;
    public override IReadMarkerWrites ReadMarkers => this;
    public override IReportWrites Reports => this;
    public override IRetentionWrites Retention => this;
    public override IKeyWrites Keys => this;
    public override ISystemEventWrites SystemEvents => this;

    // Keyed by reference: every statement is a compile-time constant or built once, so hashing its text on each
    // call would be waste.
    private readonly Dictionary<string, DbCommand> _commands = new(ReferenceEqualityComparer.Instance);

    protected abstract DbConnection Connection { get; }

    protected SqlFlavor Flavor => flavor;

    // Each feature's statements are in the AdoWriteStore.<feature>.cs beside this file. Every id is looked up within
    // its tenant's namespace (tenant_key, docs/security.md "Tenants"), except by the *Named queries, which answer
    // every tenant's rows for a caller not confined to one.

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
