using Microsoft.Data.Sqlite;

namespace Parley.Tests;

/// <summary>Where <c>parley backup --out</c> may write, as real processes on real SQLite files: never over the live
/// database — by its own path, a hard link or a symbolic link, with or without <c>--force</c>, while a writer goes on
/// and loses nothing — never over another database in use, and over an existing file only with <c>--force</c>.</summary>
public sealed class BackupTargetTests : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("parley-backup-target-").FullName;

    private string DbPath => Path.Combine(_dir, "parley.db");

    private string Url => "sqlite:" + DbPath;

    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task a_backup_onto_the_live_database_is_refused_even_with_force_and_no_acknowledged_write_is_lost()
    {
        var hardLink = Path.Combine(_dir, "hard.db");
        var symlink = Path.Combine(_dir, "link.db");
        long acknowledged = 0;
        await using (var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = Url }))
        {
            await ledger.CreateSessionAsync(new NewSession { Id = "s" });
            Assert.Equal(0, ChildProcess.Tool("ln", DbPath, hardLink));
            File.CreateSymbolicLink(symlink, DbPath);
            using var stop = new CancellationTokenSource();
            var writer = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    await ledger.LogMessagesAsync("s", [.. Enumerable.Range(0, 10).Select(i => new NewMessage { SenderType = SenderType.Agent, Content = $"m{i}" })]);
                    Interlocked.Add(ref acknowledged, 10);
                }
            });
            foreach (var target in (string[])[DbPath, hardLink, symlink, Path.Combine(_dir, "..", Path.GetFileName(_dir), "parley.db"), DbPath + "-wal"])
            {
                foreach (var force in (string[][])[[], ["--force"]])
                {
                    var (exit, _, stderr) = await ChildProcess.ParleyAsync(["backup", "--db", Url, "--out", target, .. force]);
                    CliFailureTests.AssertOneLine(stderr);
                    Assert.Contains("is the database being backed up; a backup never writes over the live database", stderr);
                    Assert.Equal(2, exit);
                }
            }
            await stop.CancelAsync();
            await writer;
        }
        Assert.True(acknowledged > 0);
        using var conn = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        conn.Open();
        Assert.Equal("ok", Scalar(conn, "PRAGMA integrity_check"));
        Assert.Equal(acknowledged, Convert.ToInt64(Scalar(conn, "SELECT count(*) FROM parley_messages"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(Directory.GetFiles(_dir, "*.partial"));
    }

    [Fact]
    public async Task an_existing_file_is_replaced_only_with_force()
    {
        await Seed(DbPath);
        var target = Path.Combine(_dir, "old-backup.db");
        File.WriteAllText(target, "last week's backup");
        var (exit, _, stderr) = await ChildProcess.ParleyAsync("backup", "--db", Url, "--out", target);
        CliFailureTests.AssertOneLine(stderr);
        Assert.Contains($"{target} already exists; pass --force to replace it", stderr);
        Assert.Equal(2, exit);
        Assert.Equal("last week's backup", File.ReadAllText(target));

        (exit, var stdout, stderr) = await ChildProcess.ParleyAsync("backup", "--db", Url, "--out", target, "--force");
        Assert.True(exit == 0, stdout + stderr);
        using var conn = new SqliteConnection($"Data Source={target};Mode=ReadOnly;Pooling=False");
        conn.Open();
        Assert.Equal(3L, Scalar(conn, "SELECT count(*) FROM parley_messages"));
    }

    [Fact]
    public async Task another_database_in_use_is_never_written_over()
    {
        await Seed(DbPath);
        // One in WAL mode, open in this process: its -wal and -shm are beside it.
        var wal = Path.Combine(_dir, "other.db");
        await using var other = await Ledger.OpenAsync(new LedgerOptions { Database = "sqlite:" + wal });
        await other.CreateSessionAsync(new NewSession { Id = "kept" });
        // One in rollback-journal mode, open in this process between transactions: nothing beside it.
        var journal = Path.Combine(_dir, "journal.db");
        using var open = new SqliteConnection($"Data Source={journal};Pooling=False");
        open.Open();
        using (var cmd = open.CreateCommand())
        {
            cmd.CommandText = "PRAGMA journal_mode = DELETE; CREATE TABLE kept (x); INSERT INTO kept VALUES (1);";
            cmd.ExecuteNonQuery();
        }
        var walBefore = await File.ReadAllBytesAsync(wal);
        var journalBefore = await File.ReadAllBytesAsync(journal);
        foreach (var (target, says) in (ValueTuple<string, string>[])[(wal, "is a SQLite database in use (other.db-wal is beside it)"), (journal, $"is open in process {Environment.ProcessId}")])
        {
            var (exit, _, stderr) = await ChildProcess.ParleyAsync("backup", "--db", Url, "--out", target, "--force");
            CliFailureTests.AssertOneLine(stderr);
            Assert.Contains(says, stderr);
            Assert.Equal(2, exit);
        }
        Assert.Equal(walBefore, await File.ReadAllBytesAsync(wal));
        Assert.Equal(journalBefore, await File.ReadAllBytesAsync(journal));
        Assert.NotNull(await other.GetSessionAsync("kept"));
    }

    [Fact]
    public async Task the_library_refuses_the_live_database_too()
    {
        await Seed(DbPath);
        var url = Parley.Internal.Kernel.DatabaseUrl.Parse(Url);
        var e = Assert.Throws<ArgumentException>(() => Parley.Internal.Transfer.Backups.Write(url, DbPath, ndjson: false, force: true));
        Assert.Contains("is the database being backed up", e.Message);
        Assert.Throws<ArgumentException>(() => Parley.Internal.Transfer.Backups.Write(url, DbPath, ndjson: true, force: true));
    }

    private static async Task Seed(string path)
    {
        await using var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = "sqlite:" + path });
        await ledger.CreateSessionAsync(new NewSession { Id = "s" });
        await ledger.LogMessagesAsync("s", [.. Enumerable.Range(0, 3).Select(i => new NewMessage { SenderType = SenderType.Agent, Content = $"m{i}" })]);
    }

    private static object? Scalar(SqliteConnection conn, string sql)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }
}
