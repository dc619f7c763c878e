using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Parley.Internal.Schema;
using Parley.Internal.Sqlite;

namespace Parley.Bench;

/// <summary>`schema [rows]`: how long Parley's schema engine takes on SQLite — migrating an empty database to head,
/// adding a column with a constant default to a large table (an ALTER, metadata only), and rebuilding that table.</summary>
internal static class SchemaDriver
{
    public static int Run(int rows)
    {
        var dir = Workload.NewDirectory();
        try
        {
            var empty = new List<double>();
            for (var i = 0; i < 5; i++)
            {
                var path = Path.Combine(dir, $"empty{i}.db");
                using var engine = new SqliteSchemaEngine(path, TimeSpan.FromSeconds(10));
                var watch = Stopwatch.StartNew();
                new SchemaRunner(engine, ParleySchema.Migrations, TimeProvider.System).Migrate();
                empty.Add(watch.Elapsed.TotalMilliseconds);
            }
            empty.Sort();

            var big = Path.Combine(dir, "big.db");
            using (var engine = new SqliteSchemaEngine(big, TimeSpan.FromSeconds(10)))
                new SchemaRunner(engine, ParleySchema.Migrations, TimeProvider.System).Migrate();
            Fill(big, rows);
            var size = new FileInfo(big).Length;

            var head = SchemaState.At(ParleySchema.Migrations, ParleySchema.Head);
            var addColumn = Migration.Reversible(ParleySchema.Head + 1, "bench: add column",
                [new AddColumn("parley_messages", new ColumnDef("priority", ColumnType.Integer, Nullable: false, Default: DefaultValue.Of(0)))], head);
            var withColumn = SchemaState.At([.. ParleySchema.Migrations, addColumn], addColumn.Version);
            var rebuild = Migration.Reversible(addColumn.Version + 1, "bench: widen subject (rebuild)",
                [new AlterColumn("parley_messages", new ColumnDef("subject", ColumnType.Text, 2000))], withColumn);
            IReadOnlyList<Migration> all = [.. ParleySchema.Migrations, addColumn, rebuild];

            double Time(int to)
            {
                using var engine = new SqliteSchemaEngine(big, TimeSpan.FromSeconds(10));
                var watch = Stopwatch.StartNew();
                new SchemaRunner(engine, all, TimeProvider.System).Migrate(to);
                return watch.Elapsed.TotalSeconds;
            }
            var add = Time(addColumn.Version);
            var rebuilt = Time(rebuild.Version);

            Console.WriteLine($"# Parley schema engine, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}, SQLite");
            Console.WriteLine();
            Console.WriteLine("| operation | time | rate |");
            Console.WriteLine("| --- | ---: | ---: |");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| migrate an empty database to v{ParleySchema.Head} (median of 5) | {empty[2]:N0} ms | |"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| add a NOT NULL column with a constant default to {rows:N0} messages ({size / 1048576.0:N0} MiB) | {add * 1000:N0} ms | metadata only |"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| rebuild the {rows:N0}-message table (12 steps; its 7 indexes and trigger recreated) | {rebuilt:N1} s | {rows / rebuilt:N0} rows/s |"));
            return 0;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void Fill(string path, int rows)
    {
        using var conn = new SqliteConnection($"Data Source={path};Pooling=False");
        conn.Open();
        Workload.Exec(conn, "PRAGMA synchronous = NORMAL");
        Workload.Exec(conn, "INSERT INTO parley_sessions (id, kind, status, started_at, updated_at) VALUES ('s0', 'bulk_send', 'active', '2026-11-23T00:00:00.000Z', '2026-11-23T00:00:00.000Z')");
        using var raw = new RawWriter(conn);
        raw.Write(rows, 50_000);
    }
}
