using System.Net;
using System.Text.Json.Nodes;
using Parley.Internal.Schema;

namespace Parley.Tests;

/// <summary><c>GET /api/v1/system/schema</c> reads the history and the live schema without the migration lock
/// (docs/http-api.md, "System"), so it answers while another connection holds that lock or, on SQLite, a write
/// transaction. Through the locked status it would wait out the lock's 5 s timeout and answer 503.</summary>
public class SchemaRouteTests
{
    [EngineTheory]
    [MemberData(nameof(TestDatabases.All), MemberType = typeof(TestDatabases))]
    public async Task the_schema_route_answers_while_another_session_holds_the_migration_lock(string engine)
    {
        await using var s = await ServerFixture.StartThroughContractAsync(engine);
        // Another process's migration, as far as the server can tell: the lock taken on a connection of its own
        // (BEGIN IMMEDIATE with the holder file on SQLite, the advisory lock on PostgreSQL, GET_LOCK on MariaDB).
        using var migrator = SchemaEngines.For(s.Url, TimeSpan.FromSeconds(5));
        migrator.Lock(_ => { });
        try
        {
            AssertCurrent(await SchemaAsync(s));
        }
        finally
        {
            migrator.Unlock(commit: false);
        }
    }

    [Fact]
    [Trait("Engine", TestDatabases.Sqlite)]
    public async Task on_sqlite_the_schema_route_answers_while_another_connection_holds_a_write_transaction()
    {
        await using var s = await ServerFixture.StartThroughContractAsync(TestDatabases.Sqlite);
        JsonNode schema;
        using (var writer = TestDatabases.LockSqlite(s.DbPath))
        {
            TestDatabases.Exec(writer, "UPDATE parley_schema_history SET applied_by = 'not committed'");
            schema = await SchemaAsync(s);
        }
        AssertCurrent(schema);
        // The route reads committed rows only: the open transaction's change is not in its answer.
        Assert.DoesNotContain(schema["history"]!.AsArray(), h => (string?)h!["applied_by"] == "not committed");
    }

    private static async Task<JsonNode> SchemaAsync(ServerFixture s)
    {
        var (response, body) = await s.Send(HttpMethod.Get, "/api/v1/system/schema");
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body?.ToJsonString()}");
        return body!;
    }

    private static void AssertCurrent(JsonNode schema)
    {
        Assert.Equal(ParleySchema.Head, (int)schema["version"]!);
        Assert.Equal(ParleySchema.Head, (int)schema["head"]!);
        Assert.Equal(ParleySchema.Head, schema["history"]!.AsArray().Count);
        Assert.Empty(schema["drift"]!.AsArray());
    }
}
