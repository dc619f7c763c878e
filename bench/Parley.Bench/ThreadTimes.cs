using System.Globalization;

namespace Parley.Bench;

/// <summary>This process's threads' time on a CPU and waiting for one (Linux: <c>/proc/self/task/*/schedstat</c>),
/// summed by thread name, so that a benchmark can say whether the writer thread was busy, idle, or runnable and
/// waiting for a core while other threads ran. Empty where /proc is not there.</summary>
internal sealed class ThreadTimes
{
    private readonly Dictionary<int, (string Name, long RunNs, long WaitNs)> _threads;

    private ThreadTimes(Dictionary<int, (string, long, long)> threads) => _threads = threads;

    public static ThreadTimes Now()
    {
        var threads = new Dictionary<int, (string, long, long)>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
            {
                try
                {
                    var stat = File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ');
                    threads[int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture)] =
                        (File.ReadAllText(Path.Combine(task, "comm")).Trim(), long.Parse(stat[0], CultureInfo.InvariantCulture), long.Parse(stat[1], CultureInfo.InvariantCulture));
                }
                catch (IOException)
                {
                    // The thread ended between the listing and the read.
                }
            }
        }
        catch (IOException)
        {
        }
        return new ThreadTimes(threads);
    }

    /// <summary>Seconds on a CPU and seconds runnable but waiting, per second of <paramref name="elapsed"/>, by thread
    /// name, from <paramref name="before"/> to this snapshot (a thread started since counts from zero).</summary>
    public IReadOnlyDictionary<string, (double Run, double Wait)> Since(ThreadTimes before, TimeSpan elapsed)
    {
        var sums = new Dictionary<string, (double, double)>();
        foreach (var (tid, (name, run, wait)) in _threads)
        {
            var (_, run0, wait0) = before._threads.TryGetValue(tid, out var b) ? b : (name, 0, 0);
            var (r, w) = sums.GetValueOrDefault(name);
            sums[name] = (r + (run - run0) / 1e9 / elapsed.TotalSeconds, w + (wait - wait0) / 1e9 / elapsed.TotalSeconds);
        }
        return sums;
    }
}
