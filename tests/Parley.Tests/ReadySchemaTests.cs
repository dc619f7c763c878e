namespace Parley.Tests;

/// <summary><c>/health/ready</c> says whether the schema was verified at start: not under <c>--schema off</c>.</summary>
public class ReadySchemaTests
{
    [Fact]
    public async Task ready_does_not_claim_a_verified_schema_when_the_check_was_off()
    {
        // A database migrated by an earlier start, then served without the schema check.
        await using var s = await ServerFixture.StartAsync(TestDatabases.Sqlite, o =>
        {
            Ledger.OpenAsync(new LedgerOptions { Database = o.Database }).GetAwaiter().GetResult().DisposeAsync().AsTask().GetAwaiter().GetResult();
            return o with { Schema = SchemaStartupMode.Off };
        });
        var (_, ready) = await s.Send(HttpMethod.Get, "/health/ready");
        Assert.False((bool)ready!["schema"]!["verified"]!);
        Assert.Equal(-1, (int)ready["schema"]!["version"]!);
    }
}
