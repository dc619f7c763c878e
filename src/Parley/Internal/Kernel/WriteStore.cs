using Parley.Internal.Keys;
using Parley.Internal.Messages;
using Parley.Internal.ReadMarkers;
using Parley.Internal.Reports;
using Parley.Internal.Retention;
using Parley.Internal.Sessions;
using Parley.Internal.SystemEvents;

namespace Parley.Internal.Kernel;

/// <summary>What the writer needs from an engine, called only from the writer thread inside
/// <see cref="Begin"/> … <see cref="Commit"/>. Engine code implements it (SQLite: <c>SqliteWriteStore</c>); the
/// rules that decide what to write live in the operations, never here.</summary>
internal abstract class WriteStore : IDisposable
{
    public abstract void Begin();
    public abstract void Commit();
    public abstract void Rollback();

    /// <summary>Runs on the writer thread after a commit's callers have been answered, outside any transaction: an
    /// engine's housekeeping that needs the write connection (SQLite restarts its WAL here).</summary>
    public virtual void AfterCommit()
    {
    }

    /// <summary>Whether a failure is worth retrying (a lock held by another process, a dropped connection).</summary>
    public abstract bool IsTransient(Exception error);

    /// <summary>Whether a failure means the database cannot take writes right now — unreachable, locked, read-only,
    /// out of space — so that a write may go to the spool instead. A failure of one write itself is not.</summary>
    public virtual bool IsUnavailable(Exception error) => IsTransient(error) || error is IOException;

    /// <summary>Whether a failure is a unique key that another writer took after this transaction looked for it (a
    /// second process logging the same message id): running the write again lets its reads see that row.</summary>
    public virtual bool IsDuplicate(Exception error) => false;

    // What the writer reads and writes, one seam per feature (docs/architecture.md, "Where each feature lives").
    public abstract ISessionWrites Sessions { get; }
    public abstract IMessageWrites Messages { get; }
    public abstract IReadMarkerWrites ReadMarkers { get; }
    public abstract IReportWrites Reports { get; }
    public abstract IRetentionWrites Retention { get; }
    public abstract IKeyWrites Keys { get; }
    public abstract ISystemEventWrites SystemEvents { get; }
    public abstract Analytics.IStatsWrites Stats { get; }

    /// <summary>A setting of the writer's own connection (diagnostics and tests).</summary>
    public abstract object? ReadSetting(string name);

    public abstract void Dispose();
}
