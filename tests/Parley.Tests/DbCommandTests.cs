using System.Text.Json;

namespace Parley.Tests;

/// <summary>`parley db …` as an operator runs it: a real process, its output and exit code.</summary>
public class DbCommandTests : IDisposable
{
    private readonly SchemaFixture _db = new();
    private static readonly int Head = Parley.Internal.Schema.ParleySchema.Head;

    public void Dispose() => _db.Dispose();

    [Fact]
    public async Task status_migrate_dry_run_history_and_rollback_work_from_the_command_line()
    {
        // status only reads: on a path with no database it says so and creates none; an empty file is a new database.
        var (exit, stdout, stderr) = await ChildProcess.ParleyAsync("db", "status", "--db", _db.Url, "--json");
        Assert.Equal(2, exit);
        Assert.Contains("does not exist", stderr);
        Assert.False(File.Exists(_db.Path));
        File.WriteAllBytes(_db.Path, []);
        (exit, stdout, _) = await ChildProcess.ParleyAsync("db", "status", "--db", _db.Url, "--json");
        Assert.Equal(0, exit);
        var status = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(0, status.GetProperty("version").GetInt32());
        Assert.Equal(Head, status.GetProperty("pending").GetArrayLength());

        (exit, stdout, _) = await ChildProcess.ParleyAsync("db", "migrate", "--db", _db.Url, "--dry-run");
        Assert.Equal(0, exit);
        Assert.Contains("CREATE TABLE parley_messages (", stdout);
        Assert.Equal(0, _db.Scalar("SELECT count(*) FROM sqlite_schema WHERE name = 'parley_messages'"));

        (exit, stdout, _) = await ChildProcess.ParleyAsync("db", "migrate", "--db", _db.Url, "--to", "1");
        Assert.Equal((0, "applied v1; sqlite:" + _db.Path + " is at schema version 1."), (exit, stdout.Trim()));
        (exit, _, _) = await ChildProcess.ParleyAsync("db", "migrate", "--db", _db.Url);
        Assert.Equal(0, exit);

        (exit, stdout, _) = await ChildProcess.ParleyAsync("db", "history", "--db", _db.Url, "--json");
        var history = JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToList();
        Assert.Equal(Enumerable.Range(1, Head), history.Select(h => h.GetProperty("version").GetInt32()));
        Assert.All(history, h => Assert.Equal("applied", h.GetProperty("state").GetString()));

        // v5 drops the rollup tables, v4 columns and v3 a table on the way down: destructive, so it needs consent.
        (exit, _, stderr) = await ChildProcess.ParleyAsync("db", "rollback", "--db", _db.Url, "--steps", "4");
        Assert.Equal(2, exit);
        Assert.Contains("drops table parley_api_keys", stderr);
        Assert.Contains("drops column parley_messages.tenant_key", stderr);
        Assert.Contains("drops table parley_stats_counts", stderr);
        (exit, _, _) = await ChildProcess.ParleyAsync("db", "rollback", "--db", _db.Url, "--steps", "4", "--allow-destructive");
        Assert.Equal(0, exit);
        Assert.Equal(0, _db.Scalar("SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' OR name = 'parley_api_keys'"));
        Assert.Equal(0, _db.Scalar("SELECT count(*) FROM pragma_table_info('parley_messages') WHERE name = 'tenant_key'"));
        Assert.Equal(Head - 4, _db.Scalar("SELECT max(version) FROM parley_schema_history"));
    }

    [Theory]
    [InlineData("db", "rollback")]
    [InlineData("db", "rollback", "--to", "0", "--steps", "1")]
    [InlineData("db", "migrate", "--to", "99")]
    [InlineData("db", "migrate", "--to", "x")]
    [InlineData("db", "stamp")]
    [InlineData("db", "frobnicate")]
    public async Task usage_errors_say_what_was_wrong_and_exit_2(params string[] args)
    {
        var (exit, _, stderr) = await ChildProcess.ParleyAsync([.. args, "--db", _db.Url]);
        Assert.Equal(2, exit);
        Assert.StartsWith("parley: ", stderr);
        Assert.False(File.Exists(_db.Path) && _db.Scalar("SELECT count(*) FROM sqlite_schema WHERE name LIKE 'parley_%' AND name <> 'parley_schema_history'") > 0);
    }

    [Fact]
    public async Task destructive_rollback_is_refused_without_consent_and_changes_nothing()
    {
        await _db.SeedAsync(3);
        var (exit, _, stderr) = await ChildProcess.ParleyAsync("db", "rollback", "--db", _db.Url, "--to", "0");
        Assert.Equal(2, exit);
        Assert.Contains("drops table parley_messages and its rows", stderr);
        Assert.Equal(3, _db.Scalar("SELECT count(*) FROM parley_messages"));
    }

    [Fact]
    public async Task sql_prints_the_ddl_without_touching_a_database_and_stamp_adopts_a_database_built_from_it()
    {
        var (exit, stdout, _) = await ChildProcess.ParleyAsync("db", "sql", "--db", _db.Url);
        Assert.Equal(0, exit);
        Assert.False(File.Exists(_db.Path));
        // An operator who ran the DDL by hand adopts the database at the version it matches.
        _db.Exec(stdout);
        (exit, _, _) = await ChildProcess.ParleyAsync("db", "verify", "--db", _db.Url);
        Assert.Equal(3, exit); // no history: version 0 declares no tables, so Parley's tables are extra
        (exit, _, _) = await ChildProcess.ParleyAsync("db", "stamp", Head.ToString(System.Globalization.CultureInfo.InvariantCulture), "--db", _db.Url);
        Assert.Equal(0, exit);
        (exit, stdout, _) = await ChildProcess.ParleyAsync("db", "verify", "--db", _db.Url);
        Assert.True(exit == 0, stdout);
        Assert.Equal("baseline", _db.ScalarText("SELECT state FROM parley_schema_history WHERE version = 1"));
        await using var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = _db.Url });
        Assert.Equal(Head, ledger.SchemaVersion);
    }

    [Fact]
    public async Task lint_lists_destructive_steps_and_exits_0_when_only_rollbacks_have_them()
    {
        var (exit, stdout, _) = await ChildProcess.ParleyAsync("db", "lint", "--json");
        Assert.Equal(0, exit);
        var steps = JsonDocument.Parse(stdout).RootElement.GetProperty("destructive").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains("v1 down: drops table parley_messages and its rows", steps);
        Assert.DoesNotContain(steps, s => s!.Contains(" up: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task updated_at_is_kept_by_the_database_for_writers_that_do_not_set_it()
    {
        await _db.SeedAsync(1);
        _db.Exec("UPDATE parley_messages SET updated_at = '2000-01-01T00:00:00.000Z'");
        _db.Exec("UPDATE parley_messages SET status = 'sent'");
        var updated = Parley.Internal.Timestamps.Parse(_db.ScalarText("SELECT updated_at FROM parley_messages")!);
        Assert.True(DateTimeOffset.UtcNow - updated < TimeSpan.FromMinutes(1), $"updated_at {updated}");
        _db.Exec("UPDATE parley_sessions SET title = 'changed by another program'");
        var session = Parley.Internal.Timestamps.Parse(_db.ScalarText("SELECT updated_at FROM parley_sessions")!);
        Assert.True(DateTimeOffset.UtcNow - session < TimeSpan.FromMinutes(1));
    }
}
