using Microsoft.Extensions.Logging;
using Npgsql;
using Parley.Internal.Kernel;
using Parley.Internal.Schema;

namespace Parley.PostgreSql;

/// <summary>PostgreSQL for a ledger (<c>postgres://</c> URLs): the schema startup mode first, then one writer
/// connection and a pool of readers from one Npgsql data source (closed with the ledger). Registered by
/// <see cref="ParleyPostgreSql.Register"/> (or loaded by name, <see cref="LedgerEngine.For"/>). PostgreSQL checks its
/// pages itself (checksums, WAL), so it adds nothing to the data check's integrity step.</summary>
internal sealed class PostgresEngine : LedgerEngine
{
    public static PostgresEngine Instance { get; } = new();

    public override ISchemaEngine Schema(DatabaseUrl url, TimeSpan lockTimeout, bool needsDatabase = true) =>
        new PostgresSchemaEngine(needsDatabase ? PostgresUrl.Parse(url.Target) : null, lockTimeout);

    public override SqlFlavor Flavor => PostgresFlavor.Instance;

    public override System.Data.Common.DbConnection Connect(DatabaseUrl url)
    {
        var conn = new NpgsqlConnection(PostgresUrl.Parse(url.Target).ConnectionString);
        try
        {
            conn.Open();
        }
        catch (NpgsqlException e)
        {
            conn.Dispose();
            throw new ParleyException($"cannot connect to {url}: {e.Message}", e);
        }
        return conn;
    }

    public override void AfterRestore(System.Data.Common.DbConnection conn)
    {
        foreach (var (table, column) in (ValueTuple<string, string>[])[("parley_messages", "row_id"), ("parley_message_events", "id"), ("parley_parked_reports", "id"), ("parley_system_events", "id")])
        {
            using var cmd = conn.CreateCommand();
            cmd.CommandText = $"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), coalesce(max({column}), 1), max({column}) IS NOT NULL) FROM {table}";
            cmd.ExecuteNonQuery();
        }
    }

    public override IEnumerable<string> MaintenanceSql => ["VACUUM (ANALYZE) parley_messages", "VACUUM (ANALYZE) parley_message_events", "ANALYZE"];

    public override OpenedDatabase Open(DatabaseUrl url, LedgerOptions options, ILogger log)
    {
        var cs = PostgresUrl.Parse(url.Target);
        var version = ApplyStartupMode(url, options);
        // Statements the writer and readers run again and again are prepared on the server after two uses.
        cs.MaxAutoPrepare = 64;
        cs.AutoPrepareMinUsages = 2;
        var source = NpgsqlDataSource.Create(cs);
        try
        {
            var writer = new PostgresWriteStore(source);
            var reader = new ReadDatabase(async ct => await source.OpenConnectionAsync(ct), PostgresFlavor.Instance);
            return new OpenedDatabase(writer, reader, version, source);
        }
        catch (NpgsqlException e)
        {
            source.Dispose();
            throw new ParleyException($"cannot open {url}: {e.Message}", e);
        }
    }
}
