using System.Diagnostics;

namespace Parley.Tests;

/// <summary>SIGKILL at random moments: a child process logs and reports under load through the library; it is killed
/// at a random point, restarted, killed again. After each kill every write it was told had committed is present exactly
/// once, and the data check (integrity, summaries against counts, statuses against events) finds nothing.</summary>
public class CrashTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private readonly Xunit.Abstractions.ITestOutputHelper _output = output;

    public static TheoryData<string, int> Engines() => new()
    {
        { TestDatabases.Sqlite, 8 * TestDatabases.Soak }, { TestDatabases.Postgres, 5 * TestDatabases.Soak }, { TestDatabases.MySql, 5 * TestDatabases.Soak },
    };

    [EngineTheory]
    [MemberData(nameof(Engines))]
    public async Task every_acknowledged_write_survives_sigkill_exactly_once(string engine, int kills)
    {
        using var db = new EngineDatabase(engine);
        var random = new Random(kills * 7919 + engine.Length);
        var logged = new HashSet<string>(StringComparer.Ordinal);
        var reported = new HashSet<string>(StringComparer.Ordinal);
        for (var k = 0; k < kills; k++)
        {
            var acks = Path.Combine(Path.GetTempPath(), $"parley-acks-{Guid.NewGuid():N}.txt");
            using var child = ChildProcess.Start(ChildProcess.TestChild, "ingest", db.Url, $"r{k}", acks);
            var errors = child.StandardError.ReadToEndAsync();
            string[] lines;
            try
            {
                var started = Stopwatch.StartNew();
                while (!(File.Exists(acks) && new FileInfo(acks).Length > 0) && !child.HasExited && started.Elapsed < TimeSpan.FromSeconds(60))
                    await Task.Delay(20);
                Assert.True(File.Exists(acks) && !child.HasExited, $"the child did not start: {(child.HasExited ? await errors : "")}");
                await Task.Delay(random.Next(200, 1500));
            }
            finally
            {
                child.Kill();
                await child.WaitForExitAsync();
                lines = File.ReadAllLines(acks);
                File.Delete(acks);
            }

            // Only complete lines count: the kill may cut the last one.
            foreach (var line in lines.Where(l => l.EndsWith(';')).Select(l => l.TrimEnd(';')))
            {
                if (line.StartsWith("logged ", StringComparison.Ordinal)) logged.Add(line[7..]);
                else if (line.StartsWith("reported ", StringComparison.Ordinal)) reported.Add(line[9..]);
            }
            Assert.True(logged.Count > 0, "nothing was acknowledged before the kill");

            var present = Ids(db, "SELECT id FROM parley_messages");
            Assert.Empty(logged.Except(present));
            var delivered = Ids(db, "SELECT id FROM parley_messages WHERE status = 'delivered'");
            Assert.Empty(reported.Except(delivered));
            Assert.Equal(present.Count, db.Scalar("SELECT count(DISTINCT id) FROM parley_messages"));
            var url = Internal.Kernel.DatabaseUrl.Parse(db.Url);
            Assert.Empty(Internal.Check.DataCheck.Run(url, repair: false));
        }
    }

    /// <summary>SIGKILL while every write goes to the spool: the SQLite file is held locked by this process, the child
    /// spools what it logs and reports and is killed mid-append at a random moment. Then the lock goes, a ledger opens
    /// and replays the spool: every acknowledged write is present exactly once, a torn last record is dropped, and the
    /// check is clean.</summary>
    [Fact]
    public async Task every_spooled_write_survives_sigkill_and_is_replayed_exactly_once()
    {
        using var db = new EngineDatabase(TestDatabases.Sqlite);
        var path = db.Url["sqlite:".Length..];
        await db.SeedAsync(0);
        var random = new Random(4242);
        var logged = new HashSet<string>(StringComparer.Ordinal);
        var reported = new HashSet<string>(StringComparer.Ordinal);
        var torn = 0;
        var kills = 8 * TestDatabases.Soak;
        for (var k = 0; k < kills; k++)
        {
            var acks = Path.Combine(Path.GetTempPath(), $"parley-acks-{Guid.NewGuid():N}.txt");
            string[] lines;
            // The child opens the database first (opening needs it), then this process takes the write lock.
            using var child = ChildProcess.Start(ChildProcess.TestChild, "ingest", db.Url, $"r{k}", acks, "fast-spool");
            var errors = child.StandardError.ReadToEndAsync();
            Microsoft.Data.Sqlite.SqliteConnection? locker = null;
            try
            {
                var started = Stopwatch.StartNew();
                while (!(File.Exists(acks) && new FileInfo(acks).Length > 0) && !child.HasExited && started.Elapsed < TimeSpan.FromSeconds(60))
                    await Task.Delay(20);
                Assert.True(!child.HasExited, $"the child stopped: {(child.HasExited ? await errors : "")}");
                locker = TestDatabases.LockSqlite(path);
                // Kill it at a random moment once it is spooling.
                var spool = new FileInfo(path + ".spool");
                while (!(spool.Exists && spool.Length > 16) && !child.HasExited && started.Elapsed < TimeSpan.FromSeconds(60))
                {
                    await Task.Delay(20);
                    spool.Refresh();
                }
                await Task.Delay(random.Next(100, 1000));
            }
            finally
            {
                child.Kill();
                await child.WaitForExitAsync();
                lines = File.ReadAllLines(acks);
                File.Delete(acks);
            }
            using (locker) Assert.True(new FileInfo(path + ".spool").Length > 16, "nothing was spooled");
            foreach (var line in lines.Where(l => l.EndsWith(';')).Select(l => l.TrimEnd(';')))
            {
                if (line.StartsWith("logged ", StringComparison.Ordinal)) logged.Add(line[7..]);
                else if (line.StartsWith("reported ", StringComparison.Ordinal)) reported.Add(line[9..]);
            }

            await using (var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = db.Url }))
            {
                // A spool that holds writes at open is replayed at once.
                await ledger.SpoolDrained.WaitAsync(TimeSpan.FromSeconds(30));
                Assert.Equal(0, ledger.Spool!.Pending);
                if ((await ledger.GetSystemEventsAsync()).Any(e => e.Event == "torn_record_dropped")) torn++;
            }
            var present = Ids(db, "SELECT id FROM parley_messages");
            Assert.Empty(logged.Except(present));
            Assert.Empty(reported.Except(Ids(db, "SELECT id FROM parley_messages WHERE status = 'delivered'")));
            Assert.Equal(present.Count, db.Scalar("SELECT count(DISTINCT id) FROM parley_messages"));
            var url = Internal.Kernel.DatabaseUrl.Parse(db.Url);
            Assert.Empty(Internal.Check.DataCheck.Run(url, repair: false));
        }
        Assert.True(logged.Count > 100, $"only {logged.Count} writes were acknowledged");
        _output.WriteLine($"{logged.Count} logged and {reported.Count} reported through the spool over {kills} kills; a torn last record was found after {torn} of them");
    }

    private static HashSet<string> Ids(EngineDatabase db, string sql)
    {
        using var conn = TestDatabases.Open(db.Url);
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        using var r = cmd.ExecuteReader();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        while (r.Read()) ids.Add(r.GetString(0));
        return ids;
    }
}
