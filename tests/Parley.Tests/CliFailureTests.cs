namespace Parley.Tests;

/// <summary>The command line given the wrong file, as real processes: one line on stderr naming the file and what is
/// wrong, the README's exit codes (2 for a wrong path or file, 1 for a failure, 3 for problems found), never a stack
/// trace, and nothing created by a command that only reads.</summary>
public sealed class CliFailureTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("parley-cli-failure-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>One line, Parley's, and no trace of .NET's unhandled-exception report.</summary>
    internal static void AssertOneLine(string stderr)
    {
        Assert.StartsWith("parley: ", stderr);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.DoesNotContain("Unhandled exception", stderr);
    }

    [Theory]
    [InlineData("db", "status")]
    [InlineData("db", "verify")]
    [InlineData("db", "history")]
    [InlineData("db", "migrate")]
    [InlineData("db", "check")]
    [InlineData("sessions", "list")]
    [InlineData("keys", "list")]
    [InlineData("serve")]
    public async Task a_file_that_is_not_a_database_is_named_in_one_line_and_left_alone(params string[] args)
    {
        var path = Path.Combine(_dir, "passwd");
        File.WriteAllText(path, "root:x:0:0:root:/root:/bin/bash\n");
        var (exit, _, stderr) = await ChildProcess.ParleyAsync([.. args, "--db", "sqlite:" + path]);
        AssertOneLine(stderr);
        Assert.Contains($"sqlite:{path} is not a SQLite database", stderr);
        Assert.Equal(2, exit);
        Assert.Equal("root:x:0:0:root:/root:/bin/bash\n", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFileSystemEntries(_dir));
    }

    [Theory]
    [InlineData("db", "status")]
    [InlineData("db", "verify")]
    [InlineData("db", "history")]
    [InlineData("db", "check")]
    [InlineData("sessions", "list")]
    [InlineData("sessions", "show", "s")]
    [InlineData("keys", "list")]
    [InlineData("cleanup", "--older-than", "90d")]
    [InlineData("cleanup", "--older-than", "90d", "--dry-run")]
    public async Task a_command_that_only_reads_refuses_a_missing_database_and_creates_nothing(params string[] args)
    {
        var path = Path.Combine(_dir, "typo.db");
        await AssertRefusedAndNothingCreatedAsync(args, path, $"sqlite:{path} does not exist");
    }

    [Theory]
    [InlineData("db", "status")]
    [InlineData("db", "migrate")]
    [InlineData("sessions", "list")]
    [InlineData("serve")]
    public async Task a_missing_directory_is_named_in_one_line(params string[] args)
    {
        var path = Path.Combine(_dir, "no-such-dir", "parley.db");
        await AssertRefusedAndNothingCreatedAsync(args, path, $"the directory of sqlite:{path} does not exist");
    }

    private async Task AssertRefusedAndNothingCreatedAsync(string[] args, string path, string says)
    {
        var (exit, _, stderr) = await ChildProcess.ParleyAsync([.. args, "--db", "sqlite:" + path]);
        AssertOneLine(stderr);
        Assert.Contains(says, stderr);
        Assert.Equal(2, exit);
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public async Task db_check_reports_a_row_it_cannot_read_as_a_problem_and_exits_3()
    {
        var db = Path.Combine(_dir, "parley.db");
        await using (var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = "sqlite:" + db }))
        {
            await ledger.CreateSessionAsync(new NewSession { Id = "s" });
            await ledger.LogMessagesAsync("s", [new NewMessage { SenderType = SenderType.Agent, Content = "a" }, new NewMessage { SenderType = SenderType.Agent, Content = "b" }]);
        }
        using (var conn = TestDatabases.Open("sqlite:" + db))
        {
            TestDatabases.Exec(conn, "UPDATE parley_messages SET status = 'bogus' WHERE content = 'a'");
            TestDatabases.Exec(conn, "UPDATE parley_messages SET created_at = 'yesterday' WHERE content = 'b'");
        }
        var (exit, stdout, stderr) = await ChildProcess.ParleyAsync("db", "check", "--db", "sqlite:" + db);
        Assert.True(exit == 3, stdout + stderr);
        Assert.Contains("status must be one of", stdout);
        Assert.Contains("'yesterday'", stdout);
        Assert.Empty(stderr);
    }

    /// <summary>A disk that is full for real: a 1 MiB tmpfs filled to the last byte holds the spool of a server whose
    /// database has room (the suite runs as root, as <c>./test.sh</c> does on CI).</summary>
    [Fact]
    public async Task serve_on_a_full_disk_fails_in_one_line_with_exit_1()
    {
        var full = Directory.CreateDirectory(Path.Combine(_dir, "full")).FullName;
        Assert.True(ChildProcess.Tool("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", full) == 0, "mounting a small tmpfs needs root, as ./test.sh has on CI");
        try
        {
            using (var filler = new FileStream(Path.Combine(full, "filler"), FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                var chunk = new byte[4096];
                try
                {
                    while (true) filler.Write(chunk);
                }
                catch (IOException)
                {
                }
            }
            var db = "sqlite:" + Path.Combine(_dir, "parley.db");
            Assert.Equal(0, (await ChildProcess.ParleyAsync("db", "migrate", "--db", db)).Exit);
            var spool = Path.Combine(full, "parley.spool");
            var (exit, _, stderr) = await ChildProcess.ParleyAsync("serve", "--db", db, "--spool", spool, "--urls", $"http://127.0.0.1:{ChildProcess.FreePort()}");
            AssertOneLine(stderr);
            Assert.Contains(spool, stderr);
            Assert.Contains("No space left on device", stderr);
            Assert.Equal(1, exit);
        }
        finally
        {
            ChildProcess.Tool("umount", full);
        }
    }
}
