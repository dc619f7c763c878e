using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using MySqlConnector;
using Npgsql;
using NpgsqlTypes;
using Parley.Internal.Schema;
using Parley.MySql;
using Parley.PostgreSql;

namespace Parley.Bench;

/// <summary>The ingest scenarios on the server engines, each beside the engine's own raw baseline written with the
/// same rows into a bare copy of Parley's message table and indexes: PostgreSQL binary COPY, MySQL/MariaDB
/// multi-row INSERT (1,000 rows a statement), both 10,000 rows per transaction. Two raw references follow it, the
/// same writes into Parley's own tables (so each row's session foreign key is checked): 10,000 rows per transaction,
/// and 256, the most a commit of (b)'s 256 callers can carry. Every scenario runs once unmeasured first (a fifth of
/// its rows), so that no median includes the process's first pass through the code.</summary>
internal static class EngineDriver
{
    private sealed record Scenario(string Name, int Rows, Func<string, int, Task<TimeSpan>> Run);

    /// <summary>Runs every scenario, or (with <paramref name="only"/>) the raw ones and the scenarios whose name
    /// contains it; an engine whose variable is unset is skipped.</summary>
    public static async Task<int> RunAsync(double scale, string? only)
    {
        int N(int rows) => Math.Max(1000, (int)(rows * scale) / 1000 * 1000);
        foreach (var (engine, variable) in (ValueTuple<string, string>[])[("postgres", "PARLEY_BENCH_POSTGRES"), ("mysql", "PARLEY_BENCH_MYSQL")])
        {
            var admin = Environment.GetEnvironmentVariable(variable);
            if (string.IsNullOrEmpty(admin))
            {
                Console.Error.WriteLine($"{variable} is not set: skipping {engine}");
                continue;
            }
            Scenario[] scenarios =
            [
                new(engine == "postgres" ? "raw baseline: binary COPY, 10,000 per transaction" : "raw baseline: multi-row INSERT of 1,000, 10,000 per transaction",
                    N(200_000), (url, n) => Raw(engine, url, n, 10_000, intoParley: false)),
                new("raw reference: the same into Parley's tables (session foreign key), 10,000 per transaction", N(200_000),
                    (url, n) => Raw(engine, url, n, 10_000, intoParley: true)),
                new("raw reference: the same into Parley's tables (session foreign key), 256 per transaction", N(100_000),
                    (url, n) => Raw(engine, url, n, 256, intoParley: true)),
                new("Parley (a): LogMessagesAsync, 1,000 per call, one caller", N(200_000), (url, n) => ParleyScenarios.BatchLog(url, n, 1)),
                new("Parley (a'): LogMessagesAsync, 1,000 per call, 4 callers", N(200_000), (url, n) => ParleyScenarios.BatchLog(url, n, 4)),
                new("Parley (b): LogMessageAsync, 256 concurrent callers", N(100_000), (url, n) => ParleyScenarios.ConcurrentLog(url, n, 256)),
                new("Parley (c'): ReportStatusesAsync, 1,000 per call", N(100_000), (url, n) => ParleyScenarios.Reports(url, n, 0, batched: true)),
            ];
            scenarios = [.. scenarios.Where(s => s.Name.StartsWith("raw", StringComparison.Ordinal) || only is null || s.Name.Contains(only, StringComparison.Ordinal))];
            Console.WriteLine($"# Parley ingest on {engine} ({ServerVersion(engine, admin)}), {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores");
            var medians = new Dictionary<string, double>();
            foreach (var s in scenarios)
            {
                var rates = new List<double>();
                for (var run = -1; run < 3; run++)
                {
                    var url = CreateDatabase(engine, admin);
                    try
                    {
                        // Run -1 warms up (JIT, the server's caches) and is not counted.
                        var rows = run < 0 ? Math.Max(1000, s.Rows / 5 / 1000 * 1000) : s.Rows;
                        var rate = rows / (await s.Run(url, rows)).TotalSeconds;
                        if (run >= 0) rates.Add(rate);
                    }
                    finally
                    {
                        DropDatabase(engine, admin, url);
                    }
                }
                rates.Sort();
                medians[s.Name] = rates[1];
                Console.Error.WriteLine($"{engine} {s.Name}: {string.Join(" / ", rates.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))} rows/s");
            }
            var raw = medians[scenarios[0].Name];
            Console.WriteLine();
            Console.WriteLine("| scenario | rows per run | median rows/s | of raw baseline |");
            Console.WriteLine("| --- | ---: | ---: | ---: |");
            foreach (var s in scenarios)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {s.Name} | {s.Rows:N0} | {medians[s.Name]:N0} | {medians[s.Name] / raw:P0} |"));
            Console.WriteLine();
        }
        return 0;
    }

    private static string ServerVersion(string engine, string admin)
    {
        using var conn = Open(engine, admin);
        using var cmd = conn.CreateCommand();
        cmd.CommandText = engine == "postgres" ? "SHOW server_version" : "SELECT VERSION()";
        return $"{(engine == "postgres" ? "PostgreSQL " : "")}{cmd.ExecuteScalar()}";
    }

    private static DbConnection Open(string engine, string url)
    {
        DbConnection conn = engine == "postgres" ? new NpgsqlConnection(PostgresUrl.Parse(url).ConnectionString) : new MySqlConnection(MySqlUrl.Parse(url).ConnectionString);
        conn.Open();
        return conn;
    }

    private static void Exec(DbConnection conn, string sql)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        cmd.CommandTimeout = 600;
        cmd.ExecuteNonQuery();
    }

    public static string CreateDatabase(string engine, string admin)
    {
        var name = "parley_bench_" + Guid.NewGuid().ToString("N")[..12];
        using (var conn = Open(engine, admin)) Exec(conn, $"CREATE DATABASE {name}");
        return admin[..(admin.LastIndexOf('/') + 1)] + name;
    }

    public static void DropDatabase(string engine, string admin, string url)
    {
        NpgsqlConnection.ClearAllPools();
        MySqlConnection.ClearAllPools();
        using var conn = Open(engine, admin);
        var name = url[(url.LastIndexOf('/') + 1)..];
        Exec(conn, engine == "postgres" ? $"DROP DATABASE {name} WITH (FORCE)" : $"DROP DATABASE {name}");
    }

    /// <summary>Parley's message table and indexes without the foreign key (the baseline has no sessions).</summary>
    private static void BareTable(DbConnection conn, string engine)
    {
        var declared = SchemaState.At(ParleySchema.Migrations, ParleySchema.Head);
        var table = declared.Table("parley_messages") with { ForeignKeys = [] };
        var ops = new List<MigrationOp> { new CreateTable(table) };
        ops.AddRange(declared.IndexesOf("parley_messages").Select(i => new CreateIndex(i)));
        using var schema = Internal.Schema.SchemaEngines.For(engine == "postgres" ? "postgres://x@localhost/x" : "mysql://x@localhost/x", TimeSpan.FromSeconds(1), needsDatabase: false);
        foreach (var op in ops)
            foreach (var step in schema.Compile(op, declared, declared))
                foreach (var sql in schema.Render(step)) Exec(conn, sql);
    }

    /// <summary>A raw writer: into a bare table, or (<paramref name="intoParley"/>) into Parley's own tables, migrated
    /// and holding the sessions the rows name; <paramref name="perTransaction"/> rows a commit.</summary>
    private static async Task<TimeSpan> Raw(string engine, string url, int rows, int perTransaction, bool intoParley)
    {
        if (intoParley)
        {
            await using var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = url });
            for (var s = 0; s < Workload.Sessions; s++) await ledger.CreateSessionAsync(new NewSession { Id = $"s{s}", Kind = "bulk_send" });
        }
        using var conn = Open(engine, url);
        if (!intoParley) BareTable(conn, engine);
        return engine == "postgres" ? PostgresCopy((NpgsqlConnection)conn, rows, perTransaction) : MySqlMultiRow(conn, rows, perTransaction);
    }

    private static TimeSpan PostgresCopy(NpgsqlConnection conn, int rows, int perTransaction)
    {
        var watch = Stopwatch.StartNew();
        for (var done = 0; done < rows; done += perTransaction)
        {
            using var tx = conn.BeginTransaction();
            using (var w = conn.BeginBinaryImport(
                       "COPY parley_messages (id, session_id, session_seq, direction, sender_type, channel, recipient, template, content, status, created_at, updated_at) FROM STDIN (FORMAT BINARY)"))
            {
                for (var i = done; i < Math.Min(rows, done + perTransaction); i++)
                {
                    var at = DateTime.UtcNow;
                    w.StartRow();
                    w.Write(Ulid.NewUlid().ToString(), NpgsqlDbType.Varchar);
                    w.Write($"s{i % Workload.Sessions}", NpgsqlDbType.Varchar);
                    w.Write((long)i, NpgsqlDbType.Bigint);
                    w.Write("outbound", NpgsqlDbType.Varchar);
                    w.Write("system", NpgsqlDbType.Varchar);
                    w.Write("sms", NpgsqlDbType.Varchar);
                    w.Write(Workload.Recipient(i), NpgsqlDbType.Varchar);
                    w.Write("otp", NpgsqlDbType.Varchar);
                    w.Write(Workload.Content, NpgsqlDbType.Text);
                    w.Write("pending", NpgsqlDbType.Varchar);
                    w.Write(at, NpgsqlDbType.TimestampTz);
                    w.Write(at, NpgsqlDbType.TimestampTz);
                }
                w.Complete();
            }
            tx.Commit();
        }
        return watch.Elapsed;
    }

    private static TimeSpan MySqlMultiRow(DbConnection conn, int rows, int perTransaction)
    {
        var watch = Stopwatch.StartNew();
        for (var done = 0; done < rows; done += perTransaction)
        {
            Exec(conn, "START TRANSACTION");
            var end = Math.Min(rows, done + perTransaction);
            for (var start = done; start < end; start += 1000)
            {
                using var cmd = conn.CreateCommand();
                var sql = new StringBuilder("INSERT INTO parley_messages (id, session_id, session_seq, direction, sender_type, channel, recipient, template, content, status, created_at, updated_at) VALUES ");
                for (var i = start; i < Math.Min(end, start + 1000); i++)
                {
                    var k = (i - start).ToString(CultureInfo.InvariantCulture);
                    sql.Append(i == start ? "" : ", ").Append($"(@i{k}, @s{k}, @q{k}, 'outbound', 'system', 'sms', @r{k}, 'otp', @c{k}, 'pending', @a{k}, @a{k})");
                    Add(cmd, "@i" + k, Ulid.NewUlid().ToString());
                    Add(cmd, "@s" + k, $"s{i % Workload.Sessions}");
                    Add(cmd, "@q" + k, (long)i);
                    Add(cmd, "@r" + k, Workload.Recipient(i));
                    Add(cmd, "@c" + k, Workload.Content);
                    Add(cmd, "@a" + k, DateTime.UtcNow);
                }
                cmd.CommandText = sql.ToString();
                cmd.ExecuteNonQuery();
            }
            Exec(conn, "COMMIT");
        }
        return watch.Elapsed;
    }

    private static void Add(DbCommand cmd, string name, object value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        cmd.Parameters.Add(p);
    }
}

/// <summary>`engines-schema [rows]`: the online paths on the server engines — adding a NOT NULL column with a constant
/// default, and one defaulting to the current time, to a table of <c>rows</c> messages (PostgreSQL: fast default;
/// MySQL/MariaDB: ALGORITHM=INSTANT), and migrating an empty database to head.</summary>
internal static class EngineSchemaDriver
{
    public static async Task<int> RunAsync(int rows)
    {
        foreach (var (engine, variable) in (ValueTuple<string, string>[])[("postgres", "PARLEY_BENCH_POSTGRES"), ("mysql", "PARLEY_BENCH_MYSQL")])
        {
            var admin = Environment.GetEnvironmentVariable(variable);
            if (string.IsNullOrEmpty(admin)) continue;
            var url = EngineDriver.CreateDatabase(engine, admin);
            try
            {
                var watch = Stopwatch.StartNew();
                using (var schema = SchemaEngines.For(url, TimeSpan.FromSeconds(30)))
                    new SchemaRunner(schema, ParleySchema.Migrations, TimeProvider.System).Migrate();
                var empty = watch.Elapsed.TotalMilliseconds;
                watch.Restart();
                await ParleyScenarios.BatchLog(url, rows, 2);
                var fill = watch.Elapsed.TotalSeconds;

                var head = SchemaState.At(ParleySchema.Migrations, ParleySchema.Head);
                var constant = Migration.Reversible(ParleySchema.Head + 1, "bench: constant default",
                    [new AddColumn("parley_messages", new ColumnDef("priority", ColumnType.Integer, Nullable: false, Default: DefaultValue.Of(0)))], head);
                var now = Migration.Reversible(ParleySchema.Head + 2, "bench: time default",
                    [new AddColumn("parley_messages", new ColumnDef("archived_at", ColumnType.Timestamp, Nullable: false, Default: DefaultValue.Now))],
                    SchemaState.At([.. ParleySchema.Migrations, constant], constant.Version));
                IReadOnlyList<Migration> all = [.. ParleySchema.Migrations, constant, now];
                (double Ms, string Sql) Time(int to)
                {
                    using var schema = SchemaEngines.For(url, TimeSpan.FromSeconds(30));
                    var w = Stopwatch.StartNew();
                    var change = new SchemaRunner(schema, all, TimeProvider.System).Migrate(to);
                    return (w.Elapsed.TotalMilliseconds, change.Sql[^1]);
                }
                var add = Time(constant.Version);
                var addNow = Time(now.Version);
                Console.WriteLine($"# Parley schema engine on {engine}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores");
                Console.WriteLine();
                Console.WriteLine("| operation | time | SQL |");
                Console.WriteLine("| --- | ---: | --- |");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| migrate an empty database to v{ParleySchema.Head} | {empty:N0} ms | |"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| (fill: {rows:N0} messages through the ledger) | {fill:N1} s | |"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| add a NOT NULL column with a constant default to {rows:N0} messages | {add.Ms:N0} ms | `{add.Sql}` |"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| add a NOT NULL column defaulting to the current time to {rows:N0} messages | {addNow.Ms:N0} ms | `{addNow.Sql}` |"));
                Console.WriteLine();
            }
            finally
            {
                EngineDriver.DropDatabase(engine, admin, url);
            }
        }
        return 0;
    }
}

/// <summary>`cleanup [rows] [url|-] [batch]`: the longest a writer waits while retention deletes <c>rows</c> old
/// messages in batches of <c>batch</c> (default 250; <c>-</c> for a SQLite file). One caller logs single messages
/// back to back during the whole cleanup; every call's latency is recorded.</summary>
internal static class CleanupDriver
{
    public static async Task<int> RunAsync(int rows, string? serverUrl, int batch)
    {
        var dir = Workload.NewDirectory();
        var url = serverUrl ?? "sqlite:" + Path.Combine(dir, "parley.db");
        try
        {
            var old = DateTimeOffset.UtcNow.AddDays(-200);
            await using var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = url });
            await ledger.CreateSessionAsync(new NewSession { Id = "old" });
            await ledger.CreateSessionAsync(new NewSession { Id = "live" });
            for (var done = 0; done < rows; done += 1000)
                await ledger.LogMessagesAsync("old", [.. Enumerable.Range(done, 1000).Select(i => Workload.Message(i) with { CreatedAt = old.AddSeconds(i) })]);

            var latencies = new List<double>();
            using var stop = new CancellationTokenSource();
            var writer = Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var w = Stopwatch.StartNew();
                    await ledger.LogMessageAsync("live", Workload.Message(i));
                    latencies.Add(w.Elapsed.TotalMilliseconds);
                }
            });
            await Task.Delay(1000);
            var before = latencies.Count;
            var watch = Stopwatch.StartNew();
            var deleted = await ledger.CleanupAsync(DateTimeOffset.UtcNow.AddDays(-90), batchSize: batch);
            var took = watch.Elapsed.TotalSeconds;
            await stop.CancelAsync();
            await writer;
            var during = latencies.Skip(before).Order().ToList();
            Console.WriteLine($"# Parley cleanup, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {Internal.Kernel.DatabaseUrl.Parse(url).Engine}, batches of {batch:N0}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"deleted {deleted:N0} messages in {took:N1} s ({deleted / took:N0}/s); a single-message writer meanwhile made {during.Count:N0} calls: " +
                $"p50 {during[during.Count / 2]:N1} ms, p99 {during[(int)(during.Count * 0.99)]:N1} ms, longest {during[^1]:N1} ms"));
            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }
}
