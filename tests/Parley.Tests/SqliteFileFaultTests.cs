using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;

namespace Parley.Tests;

/// <summary>Faults of the SQLite files themselves, from the outside: a WAL deleted under load, a database the server's
/// user may not write (docs/reliability.md).</summary>
[Trait("Engine", "sqlite")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SqliteFileFaultTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "parley-tests", "files-" + Guid.NewGuid().ToString("N"));
    private string Db => Path.Combine(_dir, "parley.db");

    public SqliteFileFaultTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task writes_after_the_wal_is_deleted_are_not_acknowledged_as_committed_and_none_is_lost_to_a_sigkill()
    {
        var acknowledged = new ConcurrentBag<string>();
        var answers = new ConcurrentDictionary<HttpStatusCode, int>();
        var port = ChildProcess.FreePort();
        using (var server = ChildProcess.Start(ChildProcess.Cli, "serve", "--db", "sqlite:" + Db, "--urls", $"http://127.0.0.1:{port}"))
        {
            using var http = await ChildProcess.WaitUntilReadyAsync(server, port);
            Assert.Equal(HttpStatusCode.Created, (await http.PostAsync("/api/v1/sessions", Json("{\"id\": \"s\"}"))).StatusCode);
            var walDeleted = false;
            var afterDeletion = 0;
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var clients = Enumerable.Range(0, 8).Select(c => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var id = $"c{c}-{i}";
                    using var response = await http.PostAsync("/api/v1/sessions/s/messages",
                        Json($"{{\"id\": \"{id}\", \"sender_type\": \"agent\", \"content\": \"wal {id}\"}}"));
                    if (!response.IsSuccessStatusCode) continue;
                    acknowledged.Add(id);
                    if (!Volatile.Read(ref walDeleted)) continue;
                    answers.AddOrUpdate(response.StatusCode, 1, (_, n) => n + 1);
                    if (Interlocked.Increment(ref afterDeletion) >= 400) await stop.CancelAsync();
                }
            })).ToArray();
            while (acknowledged.Count < 400 && !stop.IsCancellationRequested) await Task.Delay(10);
            File.Delete(Db + "-wal");
            Volatile.Write(ref walDeleted, true);
            await Task.WhenAll(clients);
            server.Kill(); // SIGKILL: no shutdown checkpoint
            await server.WaitForExitAsync();
            Assert.True(afterDeletion >= 400, $"only {afterDeletion} writes were answered after the WAL was deleted");
            // Once the loss is seen, writes are answered as spooled (202), not as committed.
            Assert.True(answers.GetValueOrDefault(HttpStatusCode.Accepted) > 0, string.Join(", ", answers.Select(a => $"{a.Key}: {a.Value}")));
        }

        // A new server replays the spool (it is ready only once the spool is empty); then every acknowledged message
        // is in the database.
        port = ChildProcess.FreePort();
        using (var again = ChildProcess.Start(ChildProcess.Cli, "serve", "--db", "sqlite:" + Db, "--urls", $"http://127.0.0.1:{port}"))
        {
            using var http = await ChildProcess.WaitUntilReadyAsync(again, port);
            again.Kill();
            await again.WaitForExitAsync();
        }
        using var conn = TestDatabases.Open("sqlite:" + Db);
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT id FROM parley_messages";
        var stored = new HashSet<string>(StringComparer.Ordinal);
        using (var r = cmd.ExecuteReader()) while (r.Read()) stored.Add(r.GetString(0));
        Assert.Empty(acknowledged.Except(stored));
    }

    [Fact]
    public async Task a_database_its_user_may_not_write_is_refused_at_start_naming_the_file()
    {
        Assert.Equal(0, (await ChildProcess.ParleyAsync("db", "migrate", "--db", "sqlite:" + Db)).Exit);
        File.SetUnixFileMode(_dir, (UnixFileMode)Convert.ToInt32("777", 8));
        File.SetUnixFileMode(Db, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var (exit, _, err) = await ServeAsOtherUser();
        Assert.Equal(1, exit);
        Assert.Contains(Db, err, StringComparison.Ordinal);
        Assert.Contains("may not write", err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task wal_and_shm_files_its_user_may_not_write_are_named_when_start_is_refused()
    {
        Assert.Equal(0, (await ChildProcess.ParleyAsync("db", "migrate", "--db", "sqlite:" + Db)).Exit);
        // What a crashed process run as another user leaves behind: its -wal and -shm, readable only.
        await using (var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = "sqlite:" + Db }))
        {
            await ledger.CreateSessionAsync(new NewSession { Id = "s" });
            File.Copy(Db + "-wal", Db + "-wal.kept");
            File.Copy(Db + "-shm", Db + "-shm.kept");
        }
        File.Move(Db + "-wal.kept", Db + "-wal");
        File.Move(Db + "-shm.kept", Db + "-shm");
        File.SetUnixFileMode(_dir, (UnixFileMode)Convert.ToInt32("777", 8));
        File.SetUnixFileMode(Db, (UnixFileMode)Convert.ToInt32("666", 8));
        foreach (var f in new[] { Db + "-wal", Db + "-shm" }) File.SetUnixFileMode(f, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var (exit, _, err) = await ServeAsOtherUser();
        Assert.Equal(1, exit);
        Assert.Contains(Db + "-wal", err, StringComparison.Ordinal);
        Assert.Contains(Db + "-shm", err, StringComparison.Ordinal);
    }

    // Root may write any file, so as root the server runs as nobody (setpriv, util-linux); otherwise as this user.
    private async Task<(int Exit, string Out, string Err)> ServeAsOtherUser()
    {
        var info = new ProcessStartInfo(Environment.UserName == "root" ? "setpriv" : "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        if (Environment.UserName == "root")
            foreach (var a in new[] { "--reuid=nobody", "--regid=nogroup", "--clear-groups", "dotnet" }) info.ArgumentList.Add(a);
        foreach (var a in new[] { ChildProcess.Cli, "serve", "--db", "sqlite:" + Db, "--urls", $"http://127.0.0.1:{ChildProcess.FreePort()}" }) info.ArgumentList.Add(a);
        info.Environment["HOME"] = _dir;
        info.Environment.Remove("PARLEY_DB");
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("parley serve started on a database it may not write: " + await stderr);
        }
        return (p.ExitCode, await stdout, await stderr);
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
