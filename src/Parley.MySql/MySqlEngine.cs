using Microsoft.Extensions.Logging;
using MySqlConnector;
using Parley.Internal.Kernel;
using Parley.Internal.Schema;

namespace Parley.MySql;

/// <summary>MySQL 8 / MariaDB 10.6+ for a ledger (<c>mysql://</c> URLs): the schema startup mode first, then one
/// writer connection and a pool of readers from one MySqlConnector data source (closed with the ledger). Registered by
/// <see cref="ParleyMySql.Register"/> (or loaded by name, <see cref="LedgerEngine.For"/>).</summary>
internal sealed class MySqlEngine : LedgerEngine
{
    public static MySqlEngine Instance { get; } = new();

    public override ISchemaEngine Schema(DatabaseUrl url, TimeSpan lockTimeout, bool needsDatabase = true) =>
        new MySqlSchemaEngine(needsDatabase ? MySqlUrl.Parse(url.Target) : null, lockTimeout);

    public override SqlFlavor Flavor => MySqlFlavor.Instance;

    public override System.Data.Common.DbConnection Connect(DatabaseUrl url)
    {
        var conn = new MySqlConnection(MySqlUrl.Parse(url.Target).ConnectionString);
        try
        {
            conn.Open();
        }
        catch (MySqlException e)
        {
            conn.Dispose();
            throw new ParleyException($"cannot connect to {url}: {e.Message}", e);
        }
        return conn;
    }

    public override IEnumerable<string> MaintenanceSql =>
        ["ANALYZE TABLE parley_sessions, parley_session_facets, parley_messages, parley_message_events, parley_parked_reports, parley_system_events"];

    /// <summary><c>CHECK TABLE</c> on each of Parley's tables; its errors are the problems.</summary>
    public override IntegrityReport CheckIntegrity(System.Data.Common.DbConnection conn)
    {
        var problems = new List<string>();
        foreach (var table in Internal.Check.DataCheck.Tables)
        {
            using var cmd = conn.CreateCommand();
            cmd.CommandText = $"CHECK TABLE {table}";
            using var r = cmd.ExecuteReader();
            while (r.Read())
                if (r.GetString(2) is "error" or "Error") problems.Add($"{table}: {r.GetString(3)}");
        }
        return new(problems, Unreadable: false);
    }

    public override OpenedDatabase Open(DatabaseUrl url, LedgerOptions options, ILogger log)
    {
        var cs = MySqlUrl.Parse(url.Target);
        var version = ApplyStartupMode(url, options);
        var source = new MySqlDataSource(cs.ConnectionString);
        try
        {
            var writer = new MySqlWriteStore(source);
            var reader = new ReadDatabase(async ct => await source.OpenConnectionAsync(ct), MySqlFlavor.Instance);
            return new OpenedDatabase(writer, reader, version, source);
        }
        catch (MySqlException e)
        {
            source.Dispose();
            throw new ParleyException($"cannot open {url}: {e.Message}", e);
        }
    }
}
