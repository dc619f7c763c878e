using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Parley.Internal.Kernel;

/// <summary>The threads reads run on (docs/architecture.md, "Reads beside the writer"): as many as reads may run at
/// once (<see cref="LedgerOptions.MaxConcurrentReads"/>), at most one per core, each at a lower scheduling priority
/// than the writer and the thread pool. A read's code runs here from its start and after each of its awaits, so it
/// never holds a thread-pool thread: the callers whose writes the writer committed continue on the pool without
/// queueing behind reads, reads together never take more cores than there are threads, and when every core is busy
/// the writer thread and the callers run first and reads take what they leave. On Linux each thread raises its own
/// nice value by <see cref="Nice"/> (Linux keeps it per thread, and raising it needs no privilege;
/// <c>Thread.Priority</c> does nothing there); elsewhere the threads are <see cref="ThreadPriority.BelowNormal"/>.
/// Where the priority cannot be lowered the threads run at the normal one. A task queued after the threads stopped
/// (a read that outlived its ledger) runs on the thread pool.</summary>
internal sealed partial class ReadThreads : TaskScheduler, IDisposable
{
    /// <summary>How much a reader thread's nice value is raised: at 10 it weighs about a tenth of a normal thread when
    /// both want a core, so reads still progress on a machine busy with other work.</summary>
    public const int Nice = 10;

    private readonly BlockingCollection<Task> _queue = [];
    private readonly Thread[] _threads;

    [ThreadStatic]
    private static ReadThreads? s_current;

    public ReadThreads(int count)
    {
        _threads = new Thread[count];
        for (var i = 0; i < count; i++)
        {
            _threads[i] = new Thread(Run) { IsBackground = true, Name = "parley-reader" };
            _threads[i].Start();
        }
    }

    public override int MaximumConcurrencyLevel => _threads.Length;

    private void Run()
    {
        s_current = this;
        LowerPriority();
        foreach (var task in _queue.GetConsumingEnumerable()) TryExecuteTask(task);
    }

    private static void LowerPriority()
    {
        if (!OperatingSystem.IsLinux())
        {
            Thread.CurrentThread.Priority = ThreadPriority.BelowNormal;
            return;
        }
        try
        {
            // PRIO_PROCESS (0) with who = 0: on Linux the calling thread alone, whose nice value is its own. A
            // refusal leaves the thread at the normal priority.
            _ = SetPriority(0, 0, Nice);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }

    protected override void QueueTask(Task task)
    {
        try
        {
            _queue.Add(task);
        }
        catch (InvalidOperationException)
        {
            // Stopped: the ledger is closed.
            ThreadPool.UnsafeQueueUserWorkItem(static state => state.Self.TryExecuteTask(state.Task), (Self: this, Task: task), preferLocal: false);
        }
    }

    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) =>
        s_current == this && TryExecuteTask(task);

    protected override IEnumerable<Task> GetScheduledTasks() => _queue.ToArray();

    /// <summary>Stops the threads once the queued reads have run.</summary>
    public void Dispose()
    {
        _queue.CompleteAdding();
    }

    [LibraryImport("libc", EntryPoint = "setpriority")]
    private static partial int SetPriority(int which, int who, int prio);
}
