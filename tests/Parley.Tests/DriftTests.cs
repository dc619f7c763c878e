namespace Parley.Tests;

/// <summary>Drift made by hand through a raw connection: each case detected with its exact message, repaired where
/// repair can do it without dropping anything, and refused at start (fail closed).</summary>
public class DriftTests : IDisposable
{
    private readonly SchemaFixture _db = new();

    public void Dispose() => _db.Dispose();

    private void EditSchema(string table, string from, string to)
    {
        // Rewrites a table's stored CREATE statement, the way a hand-edited or half-migrated database would differ.
        _db.Exec($"PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = replace(sql, '{from.Replace("'", "''")}', '{to.Replace("'", "''")}') WHERE name = '{table}'; PRAGMA writable_schema = OFF;");
    }

    private IReadOnlyList<string> Verify() => [.. _db.Runner().Verify().Select(d => d.Message)];

    [Fact]
    public async Task a_dropped_column_is_reported_and_repaired()
    {
        await _db.SeedAsync(10);
        _db.Exec("ALTER TABLE parley_messages DROP COLUMN subject");
        Assert.Equal(["parley_messages: column subject missing (declared in v1); run `parley db repair`"], Verify());
        var (repaired, left) = _db.Runner().Repair();
        Assert.Single(repaired);
        Assert.Empty(left);
        Assert.Empty(Verify());
        Assert.Equal(10, _db.Scalar("SELECT count(*) FROM parley_messages"));
    }

    [Fact]
    public async Task a_dropped_index_and_a_dropped_trigger_are_reported_and_repaired()
    {
        await _db.SeedAsync(10);
        _db.Exec("DROP INDEX ix_parley_messages_status");
        _db.Exec("DROP TRIGGER trg_parley_messages_updated_at");
        Assert.Equal(
        [
            "parley_messages: index ix_parley_messages_status missing (declared in v1); run `parley db repair`",
            "parley_messages: trigger trg_parley_messages_updated_at missing (declared in v4); run `parley db repair`",
        ], Verify());
        _db.Runner().Repair();
        Assert.Empty(Verify());
    }

    [Fact]
    public async Task a_dropped_table_is_recreated_with_its_indexes()
    {
        await _db.SeedAsync(5);
        _db.Exec("DROP TABLE parley_parked_reports");
        Assert.Equal(
        [
            "parley_parked_reports: table missing (declared in v1); run `parley db repair`",
            "parley_parked_reports: index ix_parley_parked_reports_provider missing (declared in v1); run `parley db repair`",
            "parley_parked_reports: index ix_parley_parked_reports_received missing (declared in v1); run `parley db repair`",
        ], Verify());
        _db.Runner().Repair();
        Assert.Empty(Verify());
        Assert.Equal(1, _db.Scalar("SELECT count(*) FROM sqlite_schema WHERE name = 'ix_parley_parked_reports_provider'"));
    }

    [Fact]
    public async Task a_stray_column_is_reported_and_never_dropped()
    {
        await _db.SeedAsync(5);
        _db.Exec("ALTER TABLE parley_messages ADD COLUMN legacy_flag INTEGER");
        var expected = "parley_messages: extra column legacy_flag (not declared); Parley never drops data: drop it by hand if nothing uses it";
        Assert.Equal([expected], Verify());
        var (repaired, left) = _db.Runner().Repair();
        Assert.Empty(repaired);
        Assert.Equal([expected], left.Select(d => d.Message));
        Assert.Contains("legacy_flag", _db.Columns("parley_messages"));
    }

    [Fact]
    public async Task a_changed_default_is_reported_and_repaired_by_a_rebuild_keeping_the_rows()
    {
        await _db.SeedAsync(20);
        var before = _db.Dump("parley_sessions");
        EditSchema("parley_sessions", "DEFAULT 'chat'", "DEFAULT 'other'");
        Assert.Equal(["parley_sessions: column kind default is 'other', declared 'chat' (declared in v1); run `parley db repair`"], Verify());
        _db.Runner().Repair();
        Assert.Empty(Verify());
        Assert.Equal(before, _db.Dump("parley_sessions"));
    }

    [Fact]
    public async Task changed_nullability_is_repaired_by_a_rebuild()
    {
        await _db.SeedAsync(20);
        var before = _db.Dump("parley_messages");
        EditSchema("parley_messages", "recipient TEXT,", "recipient TEXT NOT NULL,");
        Assert.Equal(["parley_messages: column recipient is NOT NULL, declared nullable (declared in v1); run `parley db repair`"], Verify());
        _db.Runner().Repair();
        Assert.Empty(Verify());
        Assert.Equal(before, _db.Dump("parley_messages"));
    }

    [Fact]
    public async Task a_changed_type_is_left_for_a_person_and_stops_rebuilds_of_that_table()
    {
        await _db.SeedAsync(20);
        EditSchema("parley_messages", "recipient TEXT,", "recipient TEXT NOT NULL,");
        EditSchema("parley_messages", "session_seq INTEGER NOT NULL", "session_seq TEXT NOT NULL");
        string[] expected =
        [
            "parley_messages: column session_seq has type TEXT, declared INTEGER (declared in v1); convert it by hand (repair never rewrites data)",
            "parley_messages: column recipient is NOT NULL, declared nullable (declared in v1); the table has undeclared columns or a changed type, so repair will not rebuild it: fix the column by hand",
        ];
        Assert.Equal(expected, Verify());
        var (repaired, left) = _db.Runner().Repair();
        Assert.Empty(repaired);
        Assert.Equal(expected, left.Select(d => d.Message));
    }

    [Fact]
    public async Task opening_a_drifted_database_is_refused_with_the_differences_and_the_repair_command()
    {
        await _db.SeedAsync(3);
        _db.Exec("DROP INDEX ix_parley_messages_created");
        var e = await Assert.ThrowsAsync<ParleyException>(() => Ledger.OpenAsync(new LedgerOptions { Database = _db.Url }));
        Assert.Contains("refusing to start", e.Message);
        Assert.Contains("parley_messages: index ix_parley_messages_created missing (declared in v1)", e.Message);
        Assert.Contains("`parley db repair`", e.Message);
        e = await Assert.ThrowsAsync<ParleyException>(() => Ledger.OpenAsync(new LedgerOptions { Database = _db.Url, Schema = SchemaStartupMode.Verify }));
        Assert.Contains("ix_parley_messages_created", e.Message);
        await using (await Ledger.OpenAsync(new LedgerOptions { Database = _db.Url, Schema = SchemaStartupMode.Off })) { }
    }

    [Fact]
    public async Task the_command_line_prints_each_difference_on_its_own_line_and_exits_3()
    {
        await _db.SeedAsync(3);
        _db.Exec("DROP INDEX ix_parley_messages_status");
        _db.Exec("ALTER TABLE parley_messages ADD COLUMN legacy_flag INTEGER");
        var (exit, stdout, _) = await ChildProcess.ParleyAsync("db", "verify", "--db", _db.Url);
        Assert.Equal(3, exit);
        Assert.Equal(
        [
            "parley_messages: extra column legacy_flag (not declared); Parley never drops data: drop it by hand if nothing uses it",
            "parley_messages: index ix_parley_messages_status missing (declared in v1); run `parley db repair`",
        ], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        (exit, stdout, _) = await ChildProcess.ParleyAsync("db", "repair", "--db", _db.Url, "--json");
        Assert.Equal(3, exit); // the stray column is left for a person
        using var json = System.Text.Json.JsonDocument.Parse(stdout);
        Assert.Equal(1, json.RootElement.GetProperty("repaired").GetArrayLength());
        Assert.Equal(1, json.RootElement.GetProperty("left").GetArrayLength());
        _db.Exec("ALTER TABLE parley_messages DROP COLUMN legacy_flag");
        (exit, _, _) = await ChildProcess.ParleyAsync("db", "verify", "--db", _db.Url);
        Assert.Equal(0, exit);
    }
}
