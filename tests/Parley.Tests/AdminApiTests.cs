namespace Parley.Tests;

/// <summary>What <c>parley db</c>, <c>db check</c>, <c>backup</c>, <c>restore</c> and <c>maintain</c> do, driven from code
/// through the public admin door only (<see cref="LedgerSchema"/>, <see cref="LedgerAdmin"/>, <see cref="Ledger.Schema"/>,
/// <see cref="Ledger.Admin"/>), on every engine.</summary>
public class AdminApiTests
{
    [EngineTheory]
    [MemberData(nameof(TestDatabases.All), MemberType = typeof(TestDatabases))]
    public async Task migrate_verify_check_backup_and_restore_from_code(string engine)
    {
        using var db = new EngineDatabase(engine);
        var schema = LedgerSchema.For(new LedgerOptions { Database = db.Url });

        var dry = await schema.MigrateAsync(dryRun: true);
        Assert.True(dry.DryRun);
        Assert.Equal((0, LedgerSchema.Head), (dry.From, dry.To));
        Assert.Contains(dry.Sql, s => s.Contains("parley_messages", StringComparison.Ordinal));
        var empty = await schema.GetStatusAsync();
        Assert.Equal(0, empty.Version);
        Assert.Equal(Enumerable.Range(1, LedgerSchema.Head), empty.Pending.Select(p => p.Version));

        var heard = new List<string>();
        var applied = await schema.MigrateAsync(progress: new Heard(heard));
        Assert.Equal((0, LedgerSchema.Head), (applied.From, applied.To));
        Assert.Equal(Enumerable.Range(1, LedgerSchema.Head), applied.Versions);
        Assert.Contains(heard, h => h.StartsWith("applying v1 ", StringComparison.Ordinal));
        Assert.True((await schema.GetStatusAsync()).IsUpToDate);
        Assert.All(await schema.GetHistoryAsync(), h => Assert.Equal("applied", h.State));
        Assert.Empty(await schema.VerifyAsync());

        var file = Path.Combine(Path.GetTempPath(), $"parley-admin-{Guid.NewGuid():N}.ndjson");
        try
        {
            BackupResult backup;
            await using (var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = db.Url, Schema = SchemaStartupMode.Verify }))
            {
                await ledger.CreateSessionAsync(new NewSession { Id = "s" });
                var logged = await ledger.LogMessagesAsync("s", [.. Enumerable.Range(0, 25).Select(i => new NewMessage { SenderType = SenderType.Agent, Content = $"m{i}" })]);
                await ledger.ReportStatusAsync(logged[3].Message.Id, new StatusReport { Status = MessageStatus.Delivered });
                Assert.Empty(await ledger.Admin.CheckAsync());

                backup = await ledger.Admin.BackupAsync(file, ndjson: true);
                Assert.Equal("parley-backup/1", backup.Format);
                Assert.Equal(25, backup.Tables!["parley_messages"].Rows);
                Assert.Equal(new FileInfo(file).Length, backup.Bytes);

                // Derived data damaged behind Parley's back: found, recomputed, gone.
                db.Exec("UPDATE parley_sessions SET message_count = 7 WHERE id = 's'");
                var found = await ledger.Admin.CheckAsync();
                Assert.Contains(found, f => f is { Area: "summaries", Repairable: true } && f.Message.Contains("session s", StringComparison.Ordinal));
                Assert.All(await ledger.Admin.CheckAsync(repair: true), f => Assert.True(f.Repaired, f.ToString()));
                Assert.Empty(await ledger.Admin.CheckAsync());
                Assert.NotEmpty(await ledger.Admin.MaintainAsync());
                Assert.Same(ledger.Schema, ledger.ForTenant("t").Schema);
            }

            // A stray column is drift that repair leaves for a person.
            db.Exec("ALTER TABLE parley_messages ADD COLUMN stray_note VARCHAR(20)");
            var drift = Assert.Single(await schema.VerifyAsync());
            Assert.Contains("stray_note", drift.Message);
            Assert.False(drift.Repairable);
            var repair = await schema.RepairAsync();
            Assert.Empty(repair.Repaired);
            Assert.Equal(drift.Message, Assert.Single(repair.Left).Message);

            using var target = new EngineDatabase(TestDatabases.Sqlite);
            var restored = await LedgerAdmin.For(new LedgerOptions { Database = target.Url }).RestoreAsync(backup.File);
            Assert.Empty(restored.Findings);
            Assert.Equal(backup.Tables.OrderBy(t => t.Key), restored.Tables.OrderBy(t => t.Key));
            Assert.Equal(25, target.Scalar("SELECT count(*) FROM parley_messages"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task reading_calls_create_nothing_on_a_mistyped_path()
    {
        var path = Path.Combine(Path.GetTempPath(), $"parley-missing-{Guid.NewGuid():N}", "typo.db");
        var options = new LedgerOptions { Database = "sqlite:" + path };
        await Assert.ThrowsAnyAsync<ArgumentException>(() => LedgerSchema.For(options).GetStatusAsync());
        await Assert.ThrowsAnyAsync<ArgumentException>(() => LedgerSchema.For(options).VerifyAsync());
        await Assert.ThrowsAnyAsync<ArgumentException>(() => LedgerAdmin.For(options).CheckAsync());
        await Assert.ThrowsAnyAsync<ArgumentException>(() => LedgerAdmin.For(options).CleanupAsync(DateTimeOffset.UtcNow));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Ledger.OpenAsync(new LedgerOptions { Database = options.Database, CreateIfMissing = false }));
        Assert.False(File.Exists(path));
        Assert.False(Directory.Exists(Path.GetDirectoryName(path)));
        // Rendering SQL needs no database at all.
        Assert.Contains(LedgerSchema.For(options).Sql(), s => s.StartsWith("-- v1 ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task a_cancelled_migration_changes_nothing()
    {
        using var db = new EngineDatabase(TestDatabases.Sqlite);
        var schema = LedgerSchema.For(new LedgerOptions { Database = db.Url });
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => schema.MigrateAsync(cancellationToken: cancelled.Token));
        Assert.Equal(0, (await schema.MigrateAsync(dryRun: true)).From);
    }

    /// <summary>An <see cref="IProgress{T}"/> that records on the reporting thread (<see cref="Progress{T}"/> posts).</summary>
    private sealed class Heard(List<string> into) : IProgress<string>
    {
        public void Report(string value)
        {
            lock (into) into.Add(value);
        }
    }
}
