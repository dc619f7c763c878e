using MySqlConnector;
using Parley.MySql;

namespace Parley.Tests;

/// <summary>Which real errors of a server engine the writer treats as an outage (and may spool) and which as a
/// failure of the write itself (never spooled: replay would only fail again).</summary>
[Trait("Engine", "mysql")]
public sealed class MySqlErrorTests : IDisposable
{
    private readonly string _url = TestDatabases.Create(TestDatabases.MySql, Path.GetTempPath());

    public void Dispose() => TestDatabases.Drop(TestDatabases.MySql, _url);

    private static Exception Failure(Action action)
    {
        var e = Record.Exception(action);
        Assert.IsType<MySqlException>(e);
        return e;
    }

    [Fact]
    public void a_refused_statement_is_not_an_outage_and_an_unreachable_server_is()
    {
        using var source = new MySqlDataSource(MySqlUrl.Parse(_url).ConnectionString);
        using var store = new MySqlWriteStore(source);
        using var conn = (MySqlConnection)TestDatabases.Open(_url);
        TestDatabases.Exec(conn, "CREATE TABLE t (doc JSON, n INT CHECK (n > 0))");

        // Invalid JSON (MariaDB: a failed CHECK, 4025; MySQL: 3140) and a failed CHECK constraint: server errors
        // numbered above 3000, failures of the statement itself.
        var json = Failure(() => TestDatabases.Exec(conn, "INSERT INTO t (doc, n) VALUES ('{', 1)"));
        Assert.True((int)((MySqlException)json).ErrorCode > 3000, json.Message);
        Assert.False(store.IsUnavailable(json), json.Message);
        var check = Failure(() => TestDatabases.Exec(conn, "INSERT INTO t (doc, n) VALUES (NULL, 0)"));
        Assert.False(store.IsUnavailable(check), check.Message);

        // Nothing listens on port 1: the server cannot be reached.
        var builder = new MySqlConnectionStringBuilder(MySqlUrl.Parse(_url).ConnectionString) { Port = 1, ConnectionTimeout = 2 };
        var unreachable = Failure(() =>
        {
            using var refused = new MySqlConnection(builder.ConnectionString);
            refused.Open();
        });
        Assert.True(store.IsUnavailable(unreachable), unreachable.Message);
    }
}
