namespace Parley.Tests;

/// <summary><c>parley backup</c> while a writer keeps logging, then <c>parley restore</c> into an empty database of
/// the same or another engine, as real processes: the restore checks every table's count and checksum against the
/// backup and runs the data check, which would find a backup that caught half a write (summaries against counts).</summary>
public class BackupRestoreTests
{
    public static TheoryData<string, string, bool> Pairs() => new()
    {
        { TestDatabases.Sqlite, TestDatabases.Sqlite, false },   // SQLite online backup file
        { TestDatabases.Sqlite, TestDatabases.Postgres, false }, // a SQLite backup file into PostgreSQL
        { TestDatabases.Postgres, TestDatabases.MySql, true },   // NDJSON across server engines
        { TestDatabases.MySql, TestDatabases.Sqlite, true },
        { TestDatabases.Postgres, TestDatabases.Postgres, true },
    };

    [EngineTheory]
    [MemberData(nameof(Pairs))]
    public async Task a_backup_taken_under_writes_restores_with_every_row_and_checksum(string from, string to, bool ndjson)
    {
        using var source = new EngineDatabase(from);
        using var target = new EngineDatabase(to);
        await source.SeedAsync(300);
        var file = Path.Combine(Path.GetTempPath(), $"parley-backup-{Guid.NewGuid():N}.{(ndjson ? "ndjson" : "db")}");
        try
        {
            int backedUp;
            await using (var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = source.Url }))
            {
                var first = (await ledger.GetTranscriptAsync("s", new TranscriptQuery { Limit = 3 })).Items;
                await ledger.ReportStatusAsync(first[1].Id, new StatusReport { Status = MessageStatus.Failed, ErrorCode = "E7", ErrorMessage = "ünïcode ✓" });
                using var stop = new CancellationTokenSource();
                var writer = Task.Run(async () =>
                {
                    var n = 0;
                    while (!stop.IsCancellationRequested)
                    {
                        await ledger.LogMessagesAsync("s", [.. Enumerable.Range(0, 20).Select(i => new NewMessage { SenderType = SenderType.Agent, Content = $"during {n}/{i}" })]);
                        n++;
                    }
                    return n;
                });
                var args = new List<string> { "backup", "--out", file, "--db", source.Url };
                if (ndjson) args.Add("--ndjson");
                var backup = await ChildProcess.ParleyAsync([.. args]);
                await stop.CancelAsync();
                backedUp = await writer;
                Assert.True(backup.Exit == 0, backup.Out + backup.Err);
                Assert.StartsWith("backed up", backup.Out);
            }
            Assert.True(backedUp > 0, "the writer ran during the backup");

            var restore = await ChildProcess.ParleyAsync("restore", file, "--db", target.Url);
            Assert.True(restore.Exit == 0, restore.Out + restore.Err);
            Assert.Contains("every table's count and checksum match the backup", restore.Out);

            // The restored ledger opens, answers, and takes new writes with new ids.
            await using var restored = await Ledger.OpenAsync(new LedgerOptions { Database = target.Url });
            var session = (await restored.GetSessionAsync("s"))!;
            Assert.Equal(target.Scalar("SELECT count(*) FROM parley_messages"), session.Summary.MessageCount);
            Assert.InRange(session.Summary.MessageCount, 300, 300 + 20 * backedUp);
            Assert.Equal(1, target.Scalar("SELECT count(*) FROM parley_messages WHERE error_code = 'E7'"));
            var added = await restored.LogMessageAsync("s", new NewMessage { SenderType = SenderType.User, Content = "after restore" });
            Assert.True(added.Created);
            await restored.RecordSystemEventAsync(SystemEventLevel.Info, "test", "after_restore");
            Assert.Contains(await restored.GetSystemEventsAsync(), e => e.Event == "restore");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task a_restore_into_a_database_that_holds_rows_is_refused_and_changes_nothing()
    {
        using var source = new EngineDatabase(TestDatabases.Sqlite);
        using var target = new EngineDatabase(TestDatabases.Sqlite);
        await source.SeedAsync(10);
        await target.SeedAsync(5);
        var file = Path.Combine(Path.GetTempPath(), $"parley-backup-{Guid.NewGuid():N}.ndjson");
        try
        {
            Assert.Equal(0, (await ChildProcess.ParleyAsync("backup", "--out", file, "--ndjson", "--db", source.Url)).Exit);
            var refused = await ChildProcess.ParleyAsync("restore", file, "--db", target.Url);
            Assert.Equal(2, refused.Exit);
            Assert.Contains("already holds rows in parley_sessions; restore only into an empty database", refused.Err);
            Assert.Equal(5, target.Scalar("SELECT count(*) FROM parley_messages"));

            File.WriteAllLines(file, File.ReadAllLines(file)[..^1]);
            using var empty = new EngineDatabase(TestDatabases.Sqlite);
            var torn = await ChildProcess.ParleyAsync("restore", file, "--db", empty.Url);
            Assert.Equal(2, torn.Exit);
            Assert.Contains("the backup ends without its closing line: it is incomplete", torn.Err);
            Assert.False(File.Exists(empty.Url["sqlite:".Length..]), "a refused restore creates no database");
        }
        finally
        {
            File.Delete(file);
        }
    }
}
