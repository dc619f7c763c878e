using Microsoft.Data.Sqlite;
using Parley.Internal.Schema;
using Parley.Internal.Sqlite;

namespace Parley.Tests;

/// <summary>The minimal migrator: history, checksums, refusal of newer or edited schemas, startup modes.</summary>
public class SchemaTests
{
    [Fact]
    public async Task a_new_database_is_migrated_to_head_with_history_and_a_system_event()
    {
        await using var t = await TempLedger.OpenAsync();
        Assert.Equal(ParleySchema.Head, t.Ledger.SchemaVersion);
        using var conn = t.Raw();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT version, name, checksum, state, applied_by FROM parley_schema_history";
        using var r = cmd.ExecuteReader();
        foreach (var m in ParleySchema.Migrations)
        {
            Assert.True(r.Read());
            Assert.Equal(m.Version, r.GetInt32(0));
            Assert.Equal(m.Name, r.GetString(1));
            Assert.Equal(m.Checksum, r.GetString(2));
            Assert.Equal("applied", r.GetString(3));
            Assert.Contains("pid", r.GetString(4));
        }
        Assert.False(r.Read());
        var events = await t.Ledger.GetSystemEventsAsync();
        Assert.Equal(ParleySchema.Migrations.Count, events.Count(e => e.Event == "migration_applied"));
    }

    [Fact]
    public async Task reopening_applies_nothing_twice()
    {
        await using var t = await TempLedger.OpenAsync();
        await t.ReopenAsync();
        Assert.Equal(ParleySchema.Migrations.Count, t.Scalar("SELECT count(*) FROM parley_schema_history"));
        Assert.Equal(ParleySchema.Migrations.Count, (await t.Ledger.GetSystemEventsAsync()).Count);
    }

    [Fact]
    public async Task every_declared_table_and_column_exists_with_its_declared_nullability()
    {
        await using var t = await TempLedger.OpenAsync();
        using var conn = t.Raw();
        foreach (var table in SchemaState.At(ParleySchema.Migrations, ParleySchema.Head).Tables)
        {
            using var cmd = conn.CreateCommand();
            cmd.CommandText = $"SELECT name, type, \"notnull\" FROM pragma_table_info('{table.Name}')";
            using var r = cmd.ExecuteReader();
            var live = new Dictionary<string, (string Type, bool NotNull)>();
            while (r.Read()) live[r.GetString(0)] = (r.GetString(1), r.GetInt64(2) != 0);
            Assert.Equal(table.Columns.Select(c => c.Name).Order(), live.Keys.Order());
            foreach (var c in table.Columns)
            {
                Assert.Equal(SqliteDialect.TypeOf(c.Type), live[c.Name].Type);
                if (c.Type != ColumnType.Serial) Assert.Equal(!c.Nullable, live[c.Name].NotNull);
            }
        }
    }

    [Fact]
    public async Task an_edited_applied_migration_is_refused_by_name()
    {
        await using var t = await TempLedger.OpenAsync();
        var original = ParleySchema.Migrations[0];
        var edited = original with { Up = [.. original.Up, new CreateIndex(new IndexDef("ix_extra", "parley_sessions", ["kind"]))] };
        using var engine = new SqliteSchemaEngine(t.Path, TimeSpan.FromSeconds(5));
        var runner = new SchemaRunner(engine, [edited, .. ParleySchema.Migrations.Skip(1)], TimeProvider.System);
        var e = Assert.Throws<ParleyException>(() => runner.Migrate());
        Assert.Contains("migration 1 'core ledger' was edited", e.Message);
        Assert.Equal(0, t.Scalar("SELECT count(*) FROM sqlite_master WHERE name = 'ix_extra'"));
    }

    [Fact]
    public async Task a_database_newer_than_the_code_is_refused()
    {
        string url;
        await using (var t = await TempLedger.OpenAsync())
        {
            using (var conn = t.Raw())
            using (var cmd = conn.CreateCommand())
            {
                cmd.CommandText = "INSERT INTO parley_schema_history VALUES (99, 'from the future', 'x', '2030-01-01T00:00:00.000Z', 1, 'someone', 'applied')";
                cmd.ExecuteNonQuery();
            }
            url = t.Url;
            var e = await Assert.ThrowsAsync<ParleyException>(() => Ledger.OpenAsync(new LedgerOptions { Database = url }));
            Assert.Contains("version 99, newer than this Parley", e.Message);
        }
    }

    [Fact]
    public async Task verify_mode_refuses_an_unmigrated_database_and_off_mode_touches_nothing()
    {
        var dir = Directory.CreateTempSubdirectory("parley-schema-");
        try
        {
            var url = "sqlite:" + Path.Combine(dir.FullName, "p.db");
            var e = await Assert.ThrowsAsync<ParleyException>(() => Ledger.OpenAsync(new LedgerOptions { Database = url, Schema = SchemaStartupMode.Verify }));
            Assert.Contains("parley db migrate", e.Message);
            await using (var off = await Ledger.OpenAsync(new LedgerOptions { Database = url, Schema = SchemaStartupMode.Off }))
                Assert.Equal(-1, off.SchemaVersion);
            using var conn = new SqliteConnection($"Data Source={Path.Combine(dir.FullName, "p.db")};Pooling=False");
            conn.Open();
            using var cmd = conn.CreateCommand();
            cmd.CommandText = "SELECT count(*) FROM sqlite_master WHERE name LIKE 'parley_%' AND name <> 'parley_schema_history'";
            Assert.Equal(0L, cmd.ExecuteScalar());
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            dir.Delete(true);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("mongodb://x")]
    [InlineData("sqlite:")]
    public async Task a_bad_database_url_is_an_argument_error(string url)
    {
        var e = await Assert.ThrowsAnyAsync<ArgumentException>(() => Ledger.OpenAsync(new LedgerOptions { Database = url }));
        Assert.Equal("database", e.ParamName);
    }

    [Fact]
    public void a_password_in_a_database_url_is_never_shown()
    {
        Assert.Equal("postgres://parley:***@db:5432/app", Parley.Internal.Kernel.DatabaseUrl.Redact("postgres://parley:s3cret@db:5432/app"));
    }
}
