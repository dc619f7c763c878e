using Parley.Internal.Schema;

namespace Parley.Tests;

/// <summary>Each migration operation up and down on SQLite with data present: the data before and after compared,
/// and the live schema verified against the declared one at both ends.</summary>
public class SchemaOperationTests : IDisposable
{
    private readonly SchemaFixture _db = new();
    private static readonly int Head = ParleySchema.Head;

    public void Dispose() => _db.Dispose();

    private static ColumnDef Col(string name, ColumnType type, int length = 0, bool nullable = true, DefaultValue? def = null) => new(name, type, length, nullable, def);

    /// <summary>Migrates up through <paramref name="ops"/>, checks, rolls back, and checks the table is as it was.</summary>
    private List<string> UpAndDown(string table, MigrationOp[] ops, Action? afterUp = null, bool destructive = false)
    {
        var migrations = SchemaFixture.With(ops);
        var before = _db.Dump(table);
        var runner = _db.Runner(migrations);
        if (destructive)
        {
            var refused = Assert.Throws<ArgumentException>(() => runner.Migrate());
            Assert.Contains("--allow-destructive", refused.Message);
            Assert.Equal(before, _db.Dump(table));
        }
        Assert.Equal([Head + 1], runner.Migrate(allowDestructive: destructive).Versions);
        Assert.Empty(runner.Verify());
        afterUp?.Invoke();
        var sql = runner.Sql(Head, Head + 1);
        runner.Rollback(Head, allowDestructive: true);
        Assert.Empty(_db.Runner().Verify());
        Assert.Equal(Head, _db.Runner().Status().Version);
        return [.. sql, .. before.Count == _db.Dump(table).Count ? [] : new[] { "row count changed" }];
    }

    [Fact]
    public async Task adding_a_column_with_a_constant_default_is_an_alter_and_keeps_every_row()
    {
        await _db.SeedAsync(300);
        var before = _db.Dump("parley_messages");
        var sql = UpAndDown("parley_messages", [new AddColumn("parley_messages", Col("priority", ColumnType.Integer, nullable: false, def: DefaultValue.Of(5)))], () =>
        {
            Assert.Equal(300, _db.Scalar("SELECT count(*) FROM parley_messages WHERE priority = 5"));
            Assert.Equal(before, _db.Dump("parley_messages", _db.Columns("parley_messages").Where(c => c != "priority")));
        });
        Assert.Contains(sql, s => s.StartsWith("ALTER TABLE parley_messages ADD COLUMN priority INTEGER NOT NULL DEFAULT 5", StringComparison.Ordinal));
        Assert.Equal(before, _db.Dump("parley_messages"));
    }

    [Fact]
    public async Task adding_a_column_defaulting_to_the_current_time_rebuilds_the_table()
    {
        await _db.SeedAsync(300);
        var before = _db.Dump("parley_messages");
        var sql = UpAndDown("parley_messages", [new AddColumn("parley_messages", Col("archived_at", ColumnType.Timestamp, nullable: false, def: DefaultValue.Now))], () =>
        {
            Assert.Equal(300, _db.Scalar("SELECT count(*) FROM parley_messages WHERE archived_at LIKE '20__-__-__T__:__:__.___Z'"));
            Assert.Equal(before, _db.Dump("parley_messages", _db.Columns("parley_messages").Where(c => c != "archived_at")));
        });
        Assert.Contains(sql, s => s.StartsWith("CREATE TABLE parley_messages__parley_rebuild", StringComparison.Ordinal));
        Assert.Equal(before, _db.Dump("parley_messages"));
    }

    [Fact]
    public async Task widening_a_column_and_changing_its_default_rebuild_with_data_intact()
    {
        await _db.SeedAsync(200);
        var before = _db.Dump("parley_messages");
        UpAndDown("parley_messages",
        [
            new AlterColumn("parley_messages", Col("subject", ColumnType.Text, 2000)),
            new AlterColumn("parley_messages", Col("channel", ColumnType.Text, 32, nullable: false, def: DefaultValue.Of("web"))),
        ], () => Assert.Equal(before, _db.Dump("parley_messages")));
        Assert.Equal(before, _db.Dump("parley_messages"));
    }

    [Fact]
    public async Task narrowing_a_column_is_destructive_and_needs_consent()
    {
        await _db.SeedAsync(50);
        UpAndDown("parley_messages", [new AlterColumn("parley_messages", Col("subject", ColumnType.Text, 100))], destructive: true);
    }

    [Fact]
    public async Task renaming_a_column_is_destructive_and_round_trips()
    {
        await _db.SeedAsync(100);
        var before = _db.Dump("parley_messages");
        UpAndDown("parley_messages", [new RenameColumn("parley_messages", "sender_name", "display_name")],
            () => Assert.Contains("display_name", _db.Columns("parley_messages")), destructive: true);
        Assert.Equal(before, _db.Dump("parley_messages"));
    }

    [Fact]
    public async Task dropping_a_column_rebuilds_and_keeps_the_other_columns()
    {
        await _db.SeedAsync(100);
        var others = _db.Columns("parley_messages").Where(c => c != "subject").ToList();
        var before = _db.Dump("parley_messages", others);
        UpAndDown("parley_messages", [new DropColumn("parley_messages", "subject")], () =>
        {
            Assert.DoesNotContain("subject", _db.Columns("parley_messages"));
            Assert.Equal(before, _db.Dump("parley_messages", others));
        }, destructive: true);
        // Rolled back, the column is back (its values are gone, as lint warned).
        Assert.Equal(100, _db.Scalar("SELECT count(*) FROM parley_messages WHERE subject IS NULL"));
        Assert.Equal(before, _db.Dump("parley_messages", others));
    }

    [Fact]
    public async Task tables_indexes_and_foreign_keys_are_created_and_dropped()
    {
        await _db.SeedAsync(20);
        var table = new TableDef("parley_test_notes",
            [Col("id", ColumnType.Serial, nullable: false), Col("message_id", ColumnType.Text, 64, nullable: false), Col("note", ColumnType.LongText),
             Col("tenant_key", ColumnType.Text, 128, nullable: false, def: DefaultValue.Of(""))],
            ["id"], []);
        UpAndDown("parley_messages",
        [
            new CreateTable(table),
            new CreateIndex(new IndexDef("ix_parley_test_notes_message", "parley_test_notes", ["message_id", "tenant_key"])),
            new AddForeignKey("parley_test_notes", new ForeignKeyDef(["message_id", "tenant_key"], "parley_messages", ["id", "tenant_key"], CascadeDelete: true)),
            new CreateIndex(new IndexDef("ix_parley_messages_template", "parley_messages", ["template", "created_at"])),
        ], () =>
        {
            _db.Exec("INSERT INTO parley_test_notes (tenant_key, message_id, note) SELECT tenant_key, id, 'n' FROM parley_messages LIMIT 5");
            Assert.Equal(2, _db.Scalar("SELECT count(*) FROM pragma_foreign_key_list('parley_test_notes')"));
            Assert.Equal(1, _db.Scalar("SELECT count(*) FROM sqlite_schema WHERE name = 'ix_parley_messages_template'"));
        }, destructive: false);
        Assert.Equal(0, _db.Scalar("SELECT count(*) FROM sqlite_schema WHERE name IN ('parley_test_notes', 'ix_parley_messages_template')"));
    }

    [Fact]
    public async Task data_steps_and_engine_sql_run_up_and_down()
    {
        await _db.SeedAsync(50);
        var migrations = SchemaFixture.With(
            new AddColumn("parley_messages", Col("score", ColumnType.Integer, nullable: false, def: DefaultValue.Of(0))),
            new DataStep("score by length", 1, ctx => ctx.Execute("UPDATE parley_messages SET score = length(content)"),
                ctx => ctx.Execute("UPDATE parley_messages SET score = 0")),
            new RawSql(new Dictionary<string, string> { ["sqlite"] = "CREATE VIEW parley_test_scores AS SELECT id, score FROM parley_messages", ["postgres"] = "SELECT 1" },
                new Dictionary<string, string> { ["sqlite"] = "DROP VIEW parley_test_scores" }));
        var runner = _db.Runner(migrations);
        Assert.Throws<ArgumentException>(() => runner.Migrate()); // hand-written SQL counts as destructive until reviewed
        runner.Migrate(allowDestructive: true);
        Assert.Equal(0, _db.Scalar("SELECT count(*) FROM parley_messages WHERE score <> length(content)"));
        Assert.Equal(50, _db.Scalar("SELECT count(*) FROM parley_test_scores"));
        runner.Rollback(Head, allowDestructive: true);
        Assert.Equal(0, _db.Scalar("SELECT count(*) FROM sqlite_schema WHERE name = 'parley_test_scores'"));
        Assert.DoesNotContain("score", _db.Columns("parley_messages"));
    }

    [Fact]
    public async Task a_rebuild_recreates_indexes_triggers_and_views_parley_did_not_create()
    {
        await _db.SeedAsync(30);
        _db.Exec("CREATE INDEX app_messages_by_sender ON parley_messages (sender_id, created_at)");
        _db.Exec("CREATE TABLE app_audit (message_id TEXT, at TEXT)");
        _db.Exec("CREATE TRIGGER app_audit_status AFTER UPDATE OF status ON parley_messages BEGIN INSERT INTO app_audit VALUES (NEW.id, 'x'); END");
        _db.Exec("CREATE VIEW app_unread AS SELECT id, content FROM parley_messages WHERE status <> 'read'");
        var runner = _db.Runner(SchemaFixture.With(new AlterColumn("parley_messages", Col("subject", ColumnType.Text, 2000))));
        runner.Migrate();
        foreach (var name in new[] { "app_messages_by_sender", "app_audit_status", "app_unread", "ix_parley_messages_recipient", "trg_parley_messages_updated_at" })
            Assert.Equal(1, _db.Scalar($"SELECT count(*) FROM sqlite_schema WHERE name = '{name}'"));
        Assert.Equal(30, _db.Scalar("SELECT count(*) FROM app_unread"));
        _db.Exec("UPDATE parley_messages SET status = 'sent' WHERE rowid = 1");
        Assert.Equal(1, _db.Scalar("SELECT count(*) FROM app_audit"));
    }

    [Fact]
    public async Task a_rebuild_that_would_break_a_foreign_key_changes_nothing()
    {
        await _db.SeedAsync(10);
        var table = new TableDef("parley_test_refs", [Col("id", ColumnType.Serial, nullable: false), Col("message_id", ColumnType.Text, 64),
            Col("tenant_key", ColumnType.Text, 128, nullable: false, def: DefaultValue.Of(""))], ["id"], []);
        _db.Runner(SchemaFixture.With(new CreateTable(table))).Migrate();
        _db.Exec("INSERT INTO parley_test_refs (message_id) VALUES ('no-such-message')");
        var head = SchemaFixture.With(new CreateTable(table));
        var v5 = Migration.Reversible(Head + 2, "add fk", [new AddForeignKey("parley_test_refs", new ForeignKeyDef(["message_id", "tenant_key"], "parley_messages", ["id", "tenant_key"], false))],
            SchemaState.At(head, Head + 1));
        var e = Assert.Throws<ParleyException>(() => _db.Runner([.. head, v5]).Migrate());
        Assert.Contains("would break 1 foreign key", e.Message);
        Assert.Equal(Head + 1, _db.Runner(head).Status().Version);
        Assert.Equal(0, _db.Scalar("SELECT count(*) FROM pragma_foreign_key_list('parley_test_refs')"));
    }

    [Fact]
    public async Task a_hundred_thousand_unicode_rows_survive_a_rebuild_unchanged()
    {
        await _db.SeedAsync(100_000, i => $"{i}: Grüße, 世界! Привет 👋🏽 مرحبا — «{new string((char)('α' + i % 24), i % 40)}»");
        var before = _db.Dump("parley_messages");
        _db.Runner(SchemaFixture.With(new AlterColumn("parley_messages", Col("subject", ColumnType.Text, 2000)))).Migrate();
        Assert.Equal(before, _db.Dump("parley_messages"));
        Assert.Empty(_db.Runner(SchemaFixture.With(new AlterColumn("parley_messages", Col("subject", ColumnType.Text, 2000)))).Verify());
        Assert.Equal("ok", _db.ScalarText("PRAGMA integrity_check"));
    }
}
