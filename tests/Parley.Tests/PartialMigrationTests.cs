using Parley.Internal.Schema;

namespace Parley.Tests;

/// <summary>MySQL/MariaDB commit each DDL statement as it runs: a migration that fails part way is recorded as
/// partial, shown by <c>parley db status</c>, and resumed from the failed step after its earlier steps are checked.</summary>
[Trait("Engine", "mysql")]
public class PartialMigrationTests
{
    private static readonly int Head = ParleySchema.Head;

    private static ColumnDef Int(string name) => new(name, ColumnType.Integer, Nullable: false, Default: DefaultValue.Of(0));

    /// <summary>v(head+1): add a column, a data step that fails while <paramref name="fail"/> says so, add another.</summary>
    private static IReadOnlyList<Migration> Migrations(Func<bool> fail) =>
    [
        .. ParleySchema.Migrations,
        new Migration(Head + 1, "three steps",
        [
            new AddColumn("parley_messages", Int("priority")),
            new DataStep("mark priority", Head + 1, ctx =>
            {
                if (fail()) throw new InvalidOperationException("injected failure between two statements");
                ctx.Execute("UPDATE parley_messages SET priority = 1");
            }),
            new AddColumn("parley_messages", Int("weight")),
        ],
        [new DropColumn("parley_messages", "weight"), new DropColumn("parley_messages", "priority")]),
    ];

    [Fact]
    public async Task a_migration_failing_between_two_statements_is_partial_and_resumes_from_there()
    {
        using var db = new EngineDatabase(TestDatabases.MySql);
        await db.SeedAsync(20);
        var failing = true;
        var migrations = Migrations(() => failing);

        var error = Assert.Throws<InvalidOperationException>(() => db.Runner(migrations).Migrate());
        Assert.Contains("injected failure", error.Message);
        // The first statement committed (no transactional DDL here) and the history says how far it got.
        Assert.Equal(20, db.Scalar("SELECT count(*) FROM parley_messages WHERE priority = 0"));
        var status = db.Runner(migrations).Status();
        Assert.Equal(Head, status.Version);
        Assert.Equal("partial 1/3", status.History.Single(h => h.Version == Head + 1).State);

        failing = false;
        var change = db.Runner(migrations).Migrate();
        Assert.Equal([Head + 1], change.Versions);
        Assert.DoesNotContain(change.Sql, s => s.Contains("ADD COLUMN priority", StringComparison.Ordinal));
        Assert.Equal(20, db.Scalar("SELECT count(*) FROM parley_messages WHERE priority = 1 AND weight = 0"));
        Assert.Equal("applied", db.Runner(migrations).Status().History.Single(h => h.Version == Head + 1).State);
        Assert.Empty(db.Runner(migrations).Verify());
    }

    [Fact]
    public async Task a_partial_migration_whose_earlier_steps_were_undone_by_hand_is_refused()
    {
        using var db = new EngineDatabase(TestDatabases.MySql);
        await db.SeedAsync(5);
        var failing = true;
        var migrations = Migrations(() => failing);
        Assert.Throws<InvalidOperationException>(() => db.Runner(migrations).Migrate());
        db.Exec("ALTER TABLE parley_messages DROP COLUMN priority");

        failing = false;
        var refused = Assert.Throws<ParleyException>(() => db.Runner(migrations).Migrate());
        Assert.Contains($"v{Head + 1} 'three steps' stopped after 1 of 3 steps, but the database does not show them", refused.Message);
        Assert.Contains("column priority missing", refused.Message);
    }

    [Fact]
    public async Task parley_db_status_shows_a_partial_migration()
    {
        using var db = new EngineDatabase(TestDatabases.MySql);
        Assert.Equal(0, (await ChildProcess.ParleyAsync("db", "status", "--db", db.Url)).Exit);
        db.Exec("INSERT INTO parley_schema_history (version, name, checksum, applied_at, execution_ms, applied_by, state) " +
                $"VALUES (1, 'core ledger', '{ParleySchema.Migrations[0].Checksum}', '2026-11-23 10:00:00', 5, 'test', 'partial 3/{ParleySchema.Migrations[0].Up.Count}')");
        var (exit, stdout, stderr) = await ChildProcess.ParleyAsync("db", "status", "--db", db.Url);
        Assert.True(exit == 0, stderr);
        Assert.Contains($"partial v1 core ledger: 3 of {ParleySchema.Migrations[0].Up.Count} steps ran before it failed; `parley db migrate` resumes it", stdout);
    }
}
