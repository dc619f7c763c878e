using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Parley.Tests;

/// <summary>A disk that fills mid-ingest, for real: a 3 MiB tmpfs mounted for the test (the suite runs as root, as
/// <c>./test.sh</c> on CI does) and a filler file that leaves little room. Once under the SQLite database, whose
/// writes then go to a spool on another filesystem; once under the spool itself, which then refuses writes with a
/// clear error. Either way the process lives on, nothing acknowledged is lost, and ingest resumes once the filler
/// is deleted.</summary>
public sealed class DiskFullTests : IDisposable
{
    private readonly string _small = Directory.CreateTempSubdirectory("parley-full-").FullName;
    private readonly string _big = Directory.CreateTempSubdirectory("parley-roomy-").FullName;

    public DiskFullTests()
    {
        var (exit, output) = Run("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", _small);
        if (exit != 0)
            throw new InvalidOperationException($"mounting a small tmpfs failed (exit {exit}: {output}); the disk-full tests need root, as ./test.sh has on CI.");
    }

    private static (int Exit, string Output) Run(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }

    /// <summary>Fills the small filesystem until <paramref name="leave"/> bytes are left; returns the filler's path.</summary>
    private string Fill(long leave)
    {
        var path = Path.Combine(_small, "filler");
        var free = new DriveInfo(_small).AvailableFreeSpace;
        using var file = new FileStream(path, FileMode.Create);
        var chunk = new byte[4096];
        for (long written = 0; written < free - leave; written += chunk.Length) file.Write(chunk);
        return path;
    }

    private static NewMessage Message(string id) => new() { Id = id, SenderType = SenderType.Agent, Content = id + new string('x', 1000) };

    // The ledgers' clock: a replay is due only once the test moves it on, so none is tried while the disk is full or
    // the database locked.
    private readonly FakeTimeProvider _clock = new();

    private Task DrainedAsync(Ledger ledger) => SpoolReplay.DrainAsync(ledger, _clock);

    private static HashSet<string> StoredIds(string url)
    {
        using var conn = TestDatabases.Open(url);
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT id FROM parley_messages";
        var ids = new HashSet<string>(StringComparer.Ordinal);
        using var r = cmd.ExecuteReader();
        while (r.Read()) Assert.True(ids.Add(r.GetString(0)));
        return ids;
    }

    [Fact]
    public async Task a_full_disk_under_the_database_spools_writes_and_ingest_resumes_once_space_is_freed()
    {
        var url = "sqlite:" + Path.Combine(_small, "parley.db");
        var acknowledged = new List<string>();
        await using var ledger = await Ledger.OpenAsync(new LedgerOptions
        {
            Database = url, SpoolPath = Path.Combine(_big, "parley.spool"), SpoolAfter = TimeSpan.FromMilliseconds(200), TimeProvider = _clock,
        });
        await ledger.CreateSessionAsync(new NewSession { Id = "s" });
        var filler = Fill(leave: 256 * 1024);

        var spooled = 0;
        for (var i = 0; i < 2000 && spooled < 100; i++)
        {
            var logged = await ledger.LogMessagesAsync("s", [.. Enumerable.Range(0, 10).Select(k => Message($"m{i}-{k}"))]);
            acknowledged.AddRange(logged.Select(l => l.Message.Id));
            if (logged[0].Spooled) spooled += logged.Count;
        }
        Assert.True(spooled >= 100, "the disk never filled");
        await Assert.ThrowsAsync<ParleyUnavailableException>(() => ledger.GetSessionAsync("s"));

        File.Delete(filler);
        await DrainedAsync(ledger);
        // The spool recorded why it was used: its first record is that system event.
        var used = Assert.Single(await ledger.GetSystemEventsAsync(), e => e.Event == "spool_used");
        Assert.Contains("full", used.Detail!["error"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        var stored = StoredIds(url);
        Assert.Empty(acknowledged.Except(stored));
        Assert.Equal(acknowledged.Count, (await ledger.GetSessionAsync("s"))!.Summary.MessageCount);
        Assert.False((await ledger.LogMessageAsync("s", Message("after"))).Spooled);
        var parsed = Internal.Kernel.DatabaseUrl.Parse(url);
        Assert.Empty(Internal.Check.DataCheck.Run(parsed, repair: false));
    }

    [Fact]
    public async Task a_full_disk_under_the_spool_refuses_writes_clearly_and_keeps_every_one_it_took()
    {
        var url = "sqlite:" + Path.Combine(_big, "parley.db");
        var acknowledged = new List<string>();
        await using var ledger = await Ledger.OpenAsync(new LedgerOptions
        {
            // Spooled at the first failure on the lock (SpoolAfter zero), without waiting on the clock.
            Database = url, SpoolPath = Path.Combine(_small, "parley.spool"), BusyTimeout = TimeSpan.FromMilliseconds(50),
            SpoolAfter = TimeSpan.Zero, TimeProvider = _clock,
        });
        await ledger.CreateSessionAsync(new NewSession { Id = "s" });
        var filler = Fill(leave: 64 * 1024);
        ParleyUnavailableException? refused = null;
        using (TestDatabases.LockSqlite(url["sqlite:".Length..]))
        {
            for (var i = 0; i < 1000 && refused is null; i++)
            {
                try
                {
                    var logged = await ledger.LogMessagesAsync("s", [.. Enumerable.Range(0, 5).Select(k => Message($"m{i}-{k}"))]);
                    Assert.True(logged[0].Spooled);
                    acknowledged.AddRange(logged.Select(l => l.Message.Id));
                }
                catch (ParleyUnavailableException e)
                {
                    refused = e;
                }
            }
            Assert.NotNull(refused);
            Assert.IsNotType<SpoolFullException>(refused);
            Assert.Contains("spool", refused!.Message, StringComparison.Ordinal);
            Assert.Contains("No space left on device", refused.Message, StringComparison.Ordinal);
            Assert.NotEmpty(acknowledged);

            // Room again: the spool takes writes again while the database is still locked.
            File.Delete(filler);
            var again = await ledger.LogMessageAsync("s", Message("after-room"));
            Assert.True(again.Spooled);
            acknowledged.Add("after-room");
        }
        await DrainedAsync(ledger);
        var stored = StoredIds(url);
        Assert.Empty(acknowledged.Except(stored));
        Assert.Equal(acknowledged.Count, stored.Count);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Run("umount", "-l", _small);
        Directory.Delete(_small, recursive: true);
        Directory.Delete(_big, recursive: true);
    }
}
