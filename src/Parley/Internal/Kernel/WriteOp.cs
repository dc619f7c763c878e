using Parley.Internal.Spool;

namespace Parley.Internal.Kernel;

/// <summary>One caller's write, queued for the writer. <see cref="Execute"/> runs inside a transaction shared with
/// other callers' operations; it must do every check that can refuse the call (a caller error) before it writes
/// anything, so a refused operation leaves the shared transaction untouched. It may run more than once (the batch
/// is retried after a transient error), so it keeps no state between runs but what <see cref="Execute"/> sets.</summary>
internal abstract class WriteOp
{
    private readonly TaskCompletionSource<object?> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private object? _result;
    private Exception? _error;

    public Task<object?> Completion => _done.Task;

    /// <summary>The session the operation writes to, when known before it runs: the writer loads the sessions of a
    /// whole group in one query (<see cref="WriteBatch.Preload"/>) instead of one round trip each.</summary>
    public virtual string? SessionId => null;

    /// <summary>Runs the operation and returns its result, or throws a caller error.</summary>
    protected abstract object? Run(WriteBatch batch);

    public void Execute(WriteBatch batch)
    {
        _result = null;
        _error = null;
        try
        {
            _result = Run(batch);
        }
        catch (Exception e) when (IsCallerError(e))
        {
            _error = e;
        }
    }

    /// <summary>Completes the caller's task; called after the transaction committed.</summary>
    public void Complete()
    {
        if (_error is not null) _done.TrySetException(_error);
        else _done.TrySetResult(_result);
    }

    public void Fail(Exception error) => _done.TrySetException(error);

    /// <summary>The write as the spool keeps it, or null for an operation that cannot wait for the database (it
    /// answers from it, or administers it).</summary>
    public virtual SpooledWrite? ToSpool() => null;

    /// <summary>What the caller is told when the write went to the spool.</summary>
    protected abstract object? SpooledResult();

    /// <summary>Completes the caller's task after the write was appended to the spool and fsync'd.</summary>
    public void CompleteSpooled() => _done.TrySetResult(SpooledResult());

    /// <summary>The caller error of the last run, if any (a replayed write that the database refuses).</summary>
    public Exception? Refusal => _error;

    public static bool IsCallerError(Exception e) => e is ArgumentException or ParleyNotFoundException or ParleyConflictException;
}

/// <summary>A write whose caller is answered with a <typeparamref name="TResult"/>. The writer keeps results untyped
/// for a group of different operations; <see cref="Writer.Enqueue{TResult}"/> is the one place one is cast back.</summary>
internal abstract class WriteOp<TResult> : WriteOp
{
    protected sealed override object? Run(WriteBatch batch) => Write(batch);

    /// <summary>Runs the operation and returns its result, or throws a caller error.</summary>
    protected abstract TResult Write(WriteBatch batch);

    protected sealed override object? SpooledResult() => WhenSpooled();

    /// <summary>What the caller is told when the write went to the spool; only operations that can be spooled
    /// (<see cref="WriteOp.ToSpool"/>) are ever asked.</summary>
    protected virtual TResult WhenSpooled() => throw new InvalidOperationException($"{GetType().Name} is never spooled.");
}
