using System.Text;
using Microsoft.Data.Sqlite;

namespace Parley.Tests;

/// <summary><c>parley restore</c> of a damaged backup, as real processes on real SQLite files: the backup is checked
/// whole before the database is touched (a SQLite file by its header and <c>PRAGMA integrity_check</c>, NDJSON by
/// the counts and checksums of its closing line), so the restore is all or nothing and a refused one leaves the
/// target as it was — absent, or empty.</summary>
public sealed class RestoreIntegrityTests : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("parley-restore-").FullName;

    private string Source => "sqlite:" + Path.Combine(_dir, "source.db");

    private string TargetPath => Path.Combine(_dir, "target.db");

    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
        return ValueTask.CompletedTask;
    }

    private async Task<string> BackupAsync(bool ndjson)
    {
        await using (var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = Source }))
        {
            await ledger.CreateSessionAsync(new NewSession { Id = "s" });
            for (var batch = 0; batch < 4; batch++)
                await ledger.LogMessagesAsync("s", [.. Enumerable.Range(0, 250).Select(i => new NewMessage { SenderType = SenderType.Agent, Content = $"message {batch}/{i} {new string('x', 200)}" })]);
        }
        var file = Path.Combine(_dir, ndjson ? "backup.ndjson" : "backup.db");
        List<string> args = ["backup", "--db", Source, "--out", file];
        if (ndjson) args.Add("--ndjson");
        var (exit, stdout, stderr) = await ChildProcess.ParleyAsync([.. args]);
        Assert.True(exit == 0, stdout + stderr);
        return file;
    }

    private async Task AssertRefusedAsync(string file, string says)
    {
        var (exit, _, stderr) = await ChildProcess.ParleyAsync("restore", file, "--db", "sqlite:" + TargetPath);
        CliFailureTests.AssertOneLine(stderr);
        Assert.Contains(file, stderr);
        Assert.Contains(says, stderr);
        Assert.Equal(2, exit);
    }

    [Fact]
    public async Task a_truncated_sqlite_backup_is_refused_and_creates_no_database()
    {
        var file = await BackupAsync(ndjson: false);
        using (var f = new FileStream(file, FileMode.Open)) f.SetLength(f.Length / 2);
        await AssertRefusedAsync(file, "the SQLite backup is damaged");
        Assert.False(File.Exists(TargetPath));
    }

    [Fact]
    public async Task a_sqlite_backup_with_a_damaged_page_is_refused_and_creates_no_database()
    {
        var file = await BackupAsync(ndjson: false);
        using (var f = new FileStream(file, FileMode.Open))
        {
            // A page well inside the messages' table, overwritten: the header is still good.
            f.Seek(f.Length / 2 / 4096 * 4096, SeekOrigin.Begin);
            f.Write(Enumerable.Repeat((byte)0xA5, 4096).ToArray());
        }
        await AssertRefusedAsync(file, "the SQLite backup is damaged");
        Assert.False(File.Exists(TargetPath));
    }

    [Fact]
    public async Task an_ndjson_backup_whose_row_was_changed_is_refused_before_anything_is_restored()
    {
        var file = await BackupAsync(ndjson: true);
        var lines = await File.ReadAllLinesAsync(file);
        var i = Array.FindIndex(lines, l => l.Contains("message 3/7 ", StringComparison.Ordinal));
        lines[i] = lines[i].Replace("message 3/7 ", "message 3/8 ", StringComparison.Ordinal);
        await File.WriteAllLinesAsync(file, lines);
        // Into an existing, empty database: it stays as it was.
        File.WriteAllBytes(TargetPath, []);
        await AssertRefusedAsync(file, "the rows of parley_messages do not match the counts and checksums in the backup's closing line");
        Assert.Equal(0, new FileInfo(TargetPath).Length);
    }

    [Fact]
    public async Task an_ndjson_backup_damaged_near_its_end_restores_nothing()
    {
        var file = await BackupAsync(ndjson: true);
        var lines = await File.ReadAllLinesAsync(file);
        var last = Array.FindLastIndex(lines, l => l.StartsWith("{\"t\":\"parley_messages\"", StringComparison.Ordinal));
        lines[last] = lines[last][..(lines[last].Length / 2)];
        await File.WriteAllLinesAsync(file, lines, new UTF8Encoding(false));
        await AssertRefusedAsync(file, $"line {last + 1} of the backup is not JSON");
        Assert.False(File.Exists(TargetPath));
    }

    [Fact]
    public async Task a_garbage_backup_is_refused_in_one_line_and_nothing_is_created()
    {
        var garbage = Path.Combine(_dir, "backup.ndjson");
        File.WriteAllBytes(garbage, [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 7919 % 251))]);
        await AssertRefusedAsync(garbage, "not a Parley backup");
        Assert.False(File.Exists(TargetPath));
    }
}
