using Microsoft.Extensions.Time.Testing;

namespace Parley.Tests;

/// <summary>Replays a spool on a ledger whose clock the test drives (<see cref="FakeTimeProvider"/>): no replay is
/// attempted until that clock passes the writer's pause, so none runs while the test still holds the database
/// unavailable.</summary>
internal static class SpoolReplay
{
    /// <summary>Waits until the spool is replayed and empty, its <c>spool_replayed</c> event recorded. Each time the
    /// writer waits for a replay attempt — the first after spooling, and the next after an attempt the database refused
    /// (a transient error, say) — the clock is moved past that pause (at most 2.4 s); nothing waits for a clock that is not
    /// moved. Fails after 60 s.</summary>
    public static async Task DrainAsync(Ledger ledger, FakeTimeProvider clock)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var pauses = 0;
        while (!ledger.SpoolDrained.IsCompleted)
        {
            try
            {
                await Task.WhenAny(ledger.SpoolDrained, ledger.ReplayWaiting).WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"the spool still holds {ledger.Spool!.Pending} writes 60 s on, after the clock was moved past {pauses} replay pause(s)");
            }
            if (ledger.SpoolDrained.IsCompleted) break;
            clock.Advance(TimeSpan.FromSeconds(5));
            pauses++;
        }
        Assert.Equal(0, ledger.Spool!.Pending);
    }
}
