using Parley.Internal.Schema;

namespace Parley.Tests;

/// <summary>The schema engine on every engine: each operation up and down with data present, the drift cases and
/// their repair, the fail-closed start, <c>updated_at</c> kept by the database, and eight real processes migrating
/// one database at once.</summary>
public class EngineSchemaTests
{
    private static readonly int Head = ParleySchema.Head;

    private static ColumnDef Col(string name, ColumnType type, int length = 0, bool nullable = true, DefaultValue? def = null) => new(name, type, length, nullable, def);

    private static IReadOnlyList<Migration> With(params MigrationOp[] ops) =>
        [.. ParleySchema.Migrations, Migration.Reversible(Head + 1, "test migration", ops, SchemaState.At(ParleySchema.Migrations, Head))];

    public static TheoryData<string, string> Operations()
    {
        var data = new TheoryData<string, string>();
        foreach (var engine in TestDatabases.All)
        {
            foreach (var op in (string[])["add constant default", "add now default", "alter", "rename", "drop column", "index", "table with fk", "drop trigger"])
                data.Add(engine, op);
        }
        return data;
    }

    private static (MigrationOp[] Ops, string? Dropped, string? Check) Operation(string name) => name switch
    {
        "add constant default" => ([new AddColumn("parley_messages", Col("priority", ColumnType.Integer, nullable: false, def: DefaultValue.Of(5)))], null,
            "SELECT count(*) FROM parley_messages WHERE priority = 5"),
        "add now default" => ([new AddColumn("parley_messages", Col("archived_at", ColumnType.Timestamp, nullable: false, def: DefaultValue.Now))], null,
            "SELECT count(*) FROM parley_messages WHERE archived_at IS NOT NULL"),
        "alter" => ([
            new AlterColumn("parley_messages", Col("subject", ColumnType.Text, 2000)),
            new AlterColumn("parley_messages", Col("channel", ColumnType.Text, 32, nullable: false, def: DefaultValue.Of("web"))),
        ], null, "SELECT count(*) FROM parley_messages WHERE channel = 'whatsapp'"),
        "rename" => ([new RenameColumn("parley_messages", "sender_name", "display_name")], null,
            "SELECT count(*) FROM parley_messages WHERE display_name IS NULL"),
        "drop column" => ([new DropColumn("parley_messages", "subject")], "subject", "SELECT count(*) FROM parley_messages"),
        "index" => ([new CreateIndex(new IndexDef("ix_test_sender", "parley_messages", ["sender_type", "created_at"]))], null,
            "SELECT count(*) FROM parley_messages WHERE sender_type = 'agent' OR sender_type = 'user'"),
        "table with fk" => ([new CreateTable(new TableDef("parley_test_notes",
        [
            Col("id", ColumnType.Serial, nullable: false), Col("message_id", ColumnType.Text, 64, nullable: false), Col("note", ColumnType.LongText),
            Col("at", ColumnType.Timestamp, nullable: false, def: DefaultValue.Now), Col("flag", ColumnType.Boolean, nullable: false, def: DefaultValue.Of(true)),
            Col("doc", ColumnType.Json), Col("tenant_key", ColumnType.Text, 128, nullable: false, def: DefaultValue.Of("")),
        ], ["id"], [new ForeignKeyDef(["message_id", "tenant_key"], "parley_messages", ["id", "tenant_key"], CascadeDelete: true)]))], null,
            "SELECT count(*) FROM parley_messages WHERE id NOT IN (SELECT message_id FROM parley_test_notes)"),
        "drop trigger" => ([new DropUpdatedAtTrigger("trg_parley_messages_updated_at", "parley_messages")], null, "SELECT count(*) FROM parley_messages"),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [EngineTheory]
    [MemberData(nameof(Operations))]
    public async Task each_operation_goes_up_and_down_with_the_rows_intact(string engine, string operation)
    {
        using var db = new EngineDatabase(engine);
        await db.SeedAsync(300);
        var (ops, dropped, check) = Operation(operation);
        var before = db.Dump("parley_messages", "row_id");
        var runner = db.Runner(With(ops));
        var destructive = ops.Any(o => o.Destructive(SchemaState.At(ParleySchema.Migrations, Head)) is not null);
        Assert.Equal([Head + 1], runner.Migrate(allowDestructive: destructive).Versions);
        Assert.Empty(runner.Verify());
        Assert.Equal(300, db.Scalar(check!));
        Assert.Equal(before.Count, db.Dump("parley_messages", "row_id").Count);

        runner.Rollback(Head, allowDestructive: true);
        Assert.Empty(db.Runner().Verify());
        Assert.Equal(Head, db.Runner().Status().Version);
        if (dropped is null) Assert.Equal(before, db.Dump("parley_messages", "row_id"));
        else Assert.Equal(db.Dump("parley_messages", "row_id", dropped).Count, before.Count);
    }

    [EngineTheory]
    [MemberData(nameof(TestDatabases.All), MemberType = typeof(TestDatabases))]
    public async Task drift_is_listed_refused_at_start_and_repaired(string engine)
    {
        using var db = new EngineDatabase(engine);
        await db.SeedAsync(50);
        db.Exec("DROP INDEX ix_parley_messages_status" + (engine == TestDatabases.MySql ? " ON parley_messages" : ""));
        db.Exec("ALTER TABLE parley_sessions DROP COLUMN title");
        db.Exec(engine switch
        {
            TestDatabases.Postgres => "DROP TRIGGER trg_parley_messages_updated_at ON parley_messages",
            TestDatabases.MySql => "ALTER TABLE parley_messages MODIFY COLUMN updated_at datetime(3) NOT NULL",
            _ => "DROP TRIGGER trg_parley_messages_updated_at",
        });

        var drift = db.Runner().Verify().Select(d => d.Message).ToList();
        Assert.Contains(drift, d => d.StartsWith("parley_messages: index ix_parley_messages_status missing", StringComparison.Ordinal));
        Assert.Contains(drift, d => d.StartsWith("parley_sessions: column title missing", StringComparison.Ordinal));
        Assert.Contains(drift, d => d.StartsWith("parley_messages: trigger trg_parley_messages_updated_at missing", StringComparison.Ordinal));
        Assert.Equal(3, drift.Count);

        var refused = await Assert.ThrowsAsync<ParleyException>(() => Ledger.OpenAsync(new LedgerOptions { Database = db.Url }));
        Assert.Contains("refusing to start", refused.Message);
        Assert.Contains("index ix_parley_messages_status missing", refused.Message);

        var (repaired, left) = db.Runner().Repair();
        Assert.Equal(3, repaired.Count);
        Assert.Empty(left);
        Assert.Empty(db.Runner().Verify());
        Assert.Equal(50, db.Scalar("SELECT count(*) FROM parley_messages"));
        await using var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = db.Url });
        Assert.Equal(Head, ledger.SchemaVersion);
    }

    [EngineTheory]
    [MemberData(nameof(TestDatabases.All), MemberType = typeof(TestDatabases))]
    public async Task a_stray_column_in_parleys_own_history_table_is_drift_that_repair_leaves_in_place(string engine)
    {
        using var db = new EngineDatabase(engine);
        await db.SeedAsync(1);
        db.Exec("ALTER TABLE parley_schema_history ADD COLUMN approved_by " + (engine == TestDatabases.Postgres ? "text" : "varchar(64)"));
        db.Exec("UPDATE parley_schema_history SET approved_by = 'ops' WHERE version = 1");
        const string expected = "parley_schema_history: extra column approved_by (not declared); Parley never drops data: drop it by hand if nothing uses it";
        Assert.Equal([expected], db.Runner().Verify().Select(d => d.Message));

        var (exit, stdout, stderr) = await ChildProcess.ParleyAsync("db", "verify", "--db", db.Url);
        Assert.True(exit == 3, $"exit {exit}: {stderr}");
        Assert.Equal([expected], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        (exit, stdout, stderr) = await ChildProcess.ParleyAsync("db", "repair", "--db", db.Url);
        Assert.True(exit == 3, $"exit {exit}: {stderr}");
        Assert.Equal(["left for you: " + expected], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var (repaired, left) = db.Runner().Repair();
        Assert.Empty(repaired);
        Assert.Equal([expected], left.Select(d => d.Message));
        Assert.Equal(1, db.Scalar("SELECT count(*) FROM parley_schema_history WHERE approved_by = 'ops'"));

        var refused = await Assert.ThrowsAsync<ParleyException>(() => Ledger.OpenAsync(new LedgerOptions { Database = db.Url }));
        Assert.Contains(expected, refused.Message);
    }

    [EngineTheory]
    [MemberData(nameof(TestDatabases.All), MemberType = typeof(TestDatabases))]
    public async Task the_database_keeps_updated_at_for_writers_other_than_parley(string engine)
    {
        using var db = new EngineDatabase(engine);
        await db.SeedAsync(1);
        db.Exec("UPDATE parley_sessions SET updated_at = '2001-01-01 00:00:00' WHERE id = 's'");
        Assert.Equal(1, db.Scalar("SELECT count(*) FROM parley_sessions WHERE updated_at < '2002-01-01'"));
        db.Exec("UPDATE parley_sessions SET title = 'changed by hand' WHERE id = 's'");
        Assert.Equal(0, db.Scalar("SELECT count(*) FROM parley_sessions WHERE updated_at < '2002-01-01'"));
    }

    [EngineTheory]
    [MemberData(nameof(TestDatabases.Servers), MemberType = typeof(TestDatabases))]
    public async Task eight_processes_migrating_one_fresh_database_at_once_apply_each_version_once(string engine)
    {
        using var db = new EngineDatabase(engine);
        var runs = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => ChildProcess.ParleyAsync("db", "migrate", "--db", db.Url)));
        Assert.All(runs, r => Assert.True(r.Exit == 0, $"exit {r.Exit}: {r.Err}"));
        Assert.Equal(Head, db.Scalar("SELECT count(*) FROM parley_schema_history"));
        Assert.Equal(Head, db.Scalar("SELECT count(*) FROM parley_system_events WHERE event = 'migration_applied'"));
        Assert.Single(runs, r => r.Out.StartsWith("applied", StringComparison.Ordinal));
        Assert.Empty(db.Runner().Verify());
    }
}
