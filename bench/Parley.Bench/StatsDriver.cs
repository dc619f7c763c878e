using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;
using Parley.AspNetCore;
using Parley.Internal;
using Parley.Internal.Analytics;

namespace Parley.Bench;

/// <summary>`stats [messages] [sqlite|postgres|-]`: the analytics reads (docs/analytics.md) over a ledger of
/// <c>messages</c> messages (<see cref="StatsData"/>) written straight into a database migrated to head, the rollups
/// then built by the upgrade's own backfill (<see cref="StatsRecount.Rebuild"/>) in one transaction. Eight questions
/// (the window's figures and its days, 90 days, UTC and Asia/Kathmandu, all channels and sms) go to a real server over
/// loopback, one client, 20 warm-up requests then 200 timed; beside each, the same question answered by a plain scan of
/// the messages (median of 3). SQLite always, PostgreSQL when PARLEY_BENCH_POSTGRES (an admin URL) is set.</summary>
internal static class StatsDriver
{
    private const int WarmUp = 20;
    private const int Timed = 200;
    private const int ScanRuns = 3;
    private const int PerTransaction = 50_000;

    private sealed record Question(string Path, string Zone, string? Channel)
    {
        public bool Daily => Path.EndsWith("/daily", StringComparison.Ordinal);
        public string Url => $"{Path}?days={StatsData.Days}&tz={Uri.EscapeDataString(Zone)}{(Channel is null ? "" : "&channel=" + Channel)}";
    }

    private sealed record Result(Question Q, string Engine, double P50, double P99, double Max, double ScanMs, long Answer, long ScanAnswer, int Bad, string? Note);

    private static readonly Question[] Questions =
    [
        .. from path in (string[])["/api/v1/stats", "/api/v1/stats/daily"]
           from zone in (string[])["UTC", "Asia/Kathmandu"]
           from channel in (string?[])[null, "sms"]
           select new Question(path, zone, channel),
    ];

    public static async Task<int> RunAsync(int messages, string? only)
    {
        var results = new List<Result>();
        var facts = new List<string>();
        var failed = false;
        foreach (var engine in (string[])["sqlite", "postgres"])
        {
            if (only is not null && only != engine) continue;
            var admin = engine == "postgres" ? Environment.GetEnvironmentVariable("PARLEY_BENCH_POSTGRES") : null;
            if (engine == "postgres" && string.IsNullOrEmpty(admin))
            {
                Console.Error.WriteLine("PARLEY_BENCH_POSTGRES is not set: skipping postgres");
                continue;
            }
            try
            {
                if (engine == "sqlite") await Sqlite(messages, results, facts);
                else await Postgres(admin!, messages, results, facts);
            }
            catch (Exception e)
            {
                failed = true;
                Console.Error.WriteLine($"{engine}: {e}");
                facts.Add($"**{engine} failed**: {e.GetType().Name}: {e.Message}");
            }
        }

        Console.WriteLine($"# Parley analytics reads, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {messages:N0} messages");
        Console.WriteLine();
        Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}, SQLite {SqliteVersion()}; " +
                          "driver and server in one process on loopback, one client, sequential requests.");
        Console.WriteLine();
        Console.WriteLine($"Each question: {WarmUp} warm-up requests, then {Timed} timed (whole request and body read). " +
                          $"Plain scan: the same question as one GROUP BY over parley_messages, median of {ScanRuns} runs (one number: a scan has no percentiles).");
        Console.WriteLine();
        Console.WriteLine("| question | engine | p50 ms | p99 ms | max ms | plain scan ms |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: |");
        foreach (var r in results)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| `{r.Q.Url}` | {r.Engine} | {r.P50:N1} | {r.P99:N1} | {r.Max:N1} | {r.ScanMs:N0} |"));
        Console.WriteLine();
        Console.WriteLine("Answers checked:");
        Console.WriteLine();
        foreach (var r in results)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"- {r.Engine} `{r.Q.Url}`: {r.Answer:N0} messages (scan {r.ScanAnswer:N0}){(r.Bad > 0 ? $", **{r.Bad} bad answers**" : ", every answer 200 and plausible")}{(r.Note is null ? "" : "; **" + r.Note + "**")}"));
        Console.WriteLine();
        Console.WriteLine("Setup:");
        Console.WriteLine();
        Console.WriteLine($"- data: {messages:N0} messages over the {StatsData.Days} days ending now, in created_at order; " +
                          $"{Math.Clamp(messages / 100, 1, 100_000):N0} sessions (each ~1.5 h of messages); channels {string.Join(", ", StatsData.Channels)} (35/25/20/15/5 %); " +
                          "10 templates per channel (1/k popularity), 10 % without a template; final statuses " +
                          string.Join(", ", StatsData.StatusMix.Select(s => $"{s.Status} {s.Percent} %")) +
                          " (the newest messages moved back to the last step reached by now); sent 0.2–3 s after creation; delivered log-normal median 3 s after sent; " +
                          "read log-normal median 10 min after delivered; 20 error codes; content 100–280 bytes; tenant_key ''.");
        Console.WriteLine("- written straight into the tables (SQLite: prepared INSERTs, 50,000 per transaction, synchronous=OFF for the load only; " +
                          "PostgreSQL: binary COPY, 50,000 per transaction); session summaries' counts and first/last times exact, read markers, summary counts " +
                          "(parley_session_facets) and message events not written. Then the engine's maintenance (`LedgerAdmin.MaintainAsync`: ANALYZE / VACUUM ANALYZE), as the server schedules it.");
        foreach (var f in facts) Console.WriteLine("- " + f);
        return failed ? 1 : 0;
    }

    // --- SQLite ---

    private static async Task Sqlite(int messages, List<Result> results, List<string> facts)
    {
        var dir = Workload.NewDirectory();
        try
        {
            var path = Path.Combine(dir, "parley.db");
            var url = "sqlite:" + path;
            await using (await Ledger.OpenAsync(new LedgerOptions { Database = url }))
            {
            }
            SqliteConnection.ClearAllPools();
            var data = new StatsData(messages, DateTimeOffset.UtcNow);

            Console.Error.WriteLine($"sqlite: loading {messages:N0} messages");
            var watch = Stopwatch.StartNew();
            using (var conn = new SqliteConnection($"Data Source={path};Pooling=False"))
            {
                conn.Open();
                Exec(conn, "PRAGMA synchronous = OFF");
                Exec(conn, "PRAGMA foreign_keys = ON");
                Exec(conn, "PRAGMA cache_size = -1048576");
                SqliteLoad(conn, data);
                Exec(conn, "PRAGMA wal_checkpoint(TRUNCATE)");
            }
            var load = watch.Elapsed.TotalSeconds;
            var before = FileSizes(path);

            Console.Error.WriteLine("sqlite: rebuilding the rollups");
            long counted;
            double rebuild;
            using (var conn = new SqliteConnection($"Data Source={path};Pooling=False"))
            {
                conn.Open();
                Exec(conn, "PRAGMA busy_timeout = 250");
                watch.Restart();
                Exec(conn, "BEGIN IMMEDIATE");
                counted = StatsRecount.Rebuild(conn, Internal.Sqlite.SqliteFlavor.Instance);
                Exec(conn, "COMMIT");
                rebuild = watch.Elapsed.TotalSeconds;
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sqlite: loaded in {load:N1} s, rebuilt in {rebuild:N1} s"));
                Exec(conn, "PRAGMA wal_checkpoint(TRUNCATE)");
            }
            var after = FileSizes(path);
            var maintain = await Maintain(url);
            SqliteConnection.ClearAllPools();

            using (var conn = new SqliteConnection($"Data Source={path};Pooling=False"))
            {
                conn.Open();
                facts.Add(string.Create(CultureInfo.InvariantCulture,
                    $"SQLite load: {messages:N0} messages and {data.SessionCount:N0} sessions in {load:N1} s ({messages / load:N0} messages/s, generation included)"));
                facts.Add(string.Create(CultureInfo.InvariantCulture,
                    $"SQLite rollup rebuild (`StatsRecount.Rebuild`, one BEGIN IMMEDIATE … COMMIT): {counted:N0} messages in {rebuild:N1} s ({counted / rebuild:N0} messages/s); " +
                    $"file {Mb(before)} before, {Mb(after)} after (+{Mb(after - before)}); maintenance (ANALYZE, PRAGMA optimize) {maintain:N1} s"));
                facts.Add("SQLite tables (rows; table + indexes on disk): " + SqliteSizes(conn, path));
            }

            await Load(url, "sqlite", data, results, (q, since, until) => SqliteScan(path, q, since, until));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            if (Environment.GetEnvironmentVariable("PARLEY_BENCH_KEEP") is null) Directory.Delete(dir, recursive: true); else Console.Error.WriteLine("kept " + dir);
        }
    }

    private static void SqliteLoad(SqliteConnection conn, StatsData data)
    {
        using (var tx = conn.BeginTransaction())
        using (var cmd = conn.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = "INSERT INTO parley_sessions (id, tenant_key, kind, user_account, status, started_at, updated_at, message_count, first_message_at, last_message_at, last_seq) " +
                              "VALUES ($id, '', 'notifications', $user, 'active', $started, $updated, $n, $first, $last, $n)";
            var p = Params(cmd, "$id", "$user", "$started", "$updated", "$n", "$first", "$last");
            cmd.Prepare();
            for (var s = 0; s < data.SessionCount; s++)
            {
                var x = data.Sessions[s];
                p[0].Value = StatsData.SessionId(s);
                p[1].Value = $"user-{s}";
                p[2].Value = Text(x.Count == 0 ? data.Now : x.First);
                p[3].Value = Text(x.Count == 0 ? data.Now : x.Last);
                p[4].Value = x.Count;
                p[5].Value = x.Count == 0 ? DBNull.Value : Text(x.First);
                p[6].Value = x.Count == 0 ? DBNull.Value : Text(x.Last);
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
        }

        var insert = conn.CreateCommand();
        insert.CommandText =
            "INSERT INTO parley_messages (id, tenant_key, session_id, session_seq, direction, sender_type, channel, recipient, template, subject, content, status, " +
            "sent_at, delivered_at, read_at, failed_at, cancelled_at, sent_implied, delivered_implied, provider_message_id, error_code, error_message, error_at, created_at, updated_at) " +
            "VALUES ($id, '', $session, $seq, 'outbound', 'system', $channel, $recipient, $template, $subject, $content, $status, " +
            "$sent, $delivered, $read, $failed, $cancelled, 0, 0, $provider, $code, $message, $error_at, $created, $updated)";
        var m = Params(insert, "$id", "$session", "$seq", "$channel", "$recipient", "$template", "$subject", "$content", "$status",
            "$sent", "$delivered", "$read", "$failed", "$cancelled", "$provider", "$code", "$message", "$error_at", "$created", "$updated");
        SqliteTransaction? open = null;
        var inTx = 0;
        try
        {
            data.Generate(row =>
            {
                if (open is null)
                {
                    open = conn.BeginTransaction();
                    insert.Transaction = open;
                    insert.Prepare();
                }
                m[0].Value = row.Id;
                m[1].Value = row.Session;
                m[2].Value = row.Seq;
                m[3].Value = row.Channel;
                m[4].Value = row.Recipient;
                m[5].Value = (object?)row.Template ?? DBNull.Value;
                m[6].Value = (object?)row.Subject ?? DBNull.Value;
                m[7].Value = row.Content;
                m[8].Value = row.Status;
                m[9].Value = Text(row.Sent);
                m[10].Value = Text(row.Delivered);
                m[11].Value = Text(row.Read);
                m[12].Value = Text(row.Failed);
                m[13].Value = Text(row.Cancelled);
                m[14].Value = (object?)row.ProviderId ?? DBNull.Value;
                m[15].Value = (object?)row.ErrorCode ?? DBNull.Value;
                m[16].Value = (object?)row.ErrorMessage ?? DBNull.Value;
                m[17].Value = Text(row.ErrorAt);
                m[18].Value = Text(row.Created);
                m[19].Value = Text(row.Updated);
                insert.ExecuteNonQuery();
                if (++inTx == PerTransaction)
                {
                    open.Commit();
                    open.Dispose();
                    open = null;
                    inTx = 0;
                }
            });
            open?.Commit();
        }
        finally
        {
            open?.Dispose();
            insert.Dispose();
        }
    }

    private static SqliteParameter[] Params(SqliteCommand cmd, params string[] names) => [.. names.Select(n => cmd.Parameters.Add(new SqliteParameter { ParameterName = n }))];

    private static string Text(long ms) => Timestamps.ToText(DateTimeOffset.FromUnixTimeMilliseconds(ms));

    private static object Text(long? ms) => ms is { } v ? Text(v) : DBNull.Value;

    private static long FileSizes(string path) =>
        new[] { path, path + "-wal" }.Where(File.Exists).Sum(f => new FileInfo(f).Length);

    private const string DbstatSql = "SELECT coalesce(m.tbl_name, d.name), sum(d.pgsize) FROM dbstat d LEFT JOIN sqlite_master m ON m.name = d.name GROUP BY 1";

    private static string SqliteSizes(SqliteConnection conn, string path)
    {
        var source = "dbstat";
        Dictionary<string, long>? bytes = [];
        try
        {
            using var cmd = conn.CreateCommand();
            cmd.CommandText = DbstatSql;
            cmd.CommandTimeout = 0;
            using var r = cmd.ExecuteReader();
            while (r.Read()) bytes[r.GetString(0)] = r.GetInt64(1);
        }
        catch (SqliteException)
        {
            // This build of SQLite has no dbstat: the sqlite3 shell's, if there is one, else the file sizes above.
            source = "dbstat of the sqlite3 shell";
            bytes = ShellDbstat(path);
        }
        return string.Join("; ", ((string[])["parley_messages", .. StatsRecount.Tables]).Select(t =>
            $"{t} {Count(conn, t):N0} rows{(bytes is null ? "" : ", " + Mb(bytes.GetValueOrDefault(t)))}")) +
            (bytes is null ? " (no dbstat: see the file sizes)" : $" ({source}; whole file {Mb(bytes.Values.Sum())})");
    }

    private static Dictionary<string, long>? ShellDbstat(string path)
    {
        try
        {
            var start = new ProcessStartInfo("sqlite3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in (string[])["-readonly", path, DbstatSql]) start.ArgumentList.Add(a);
            using var shell = Process.Start(start)!;
            var output = shell.StandardOutput.ReadToEnd();
            shell.WaitForExit();
            if (shell.ExitCode != 0) return null;
            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => line.Split('|'))
                .ToDictionary(x => x[0], x => long.Parse(x[1], CultureInfo.InvariantCulture));
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private static (Dictionary<string, long> Stats, Dictionary<DateOnly, long> Days, long Total) SqliteScan(string path, Question q, DateTimeOffset since, DateTimeOffset until)
    {
        using var conn = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        conn.Open();
        using var cmd = conn.CreateCommand();
        var filter = q.Channel is null ? "" : $" AND channel = '{q.Channel}'";
        var day = q.Zone == "UTC" ? "substr(created_at, 1, 10)" : "date(created_at, '+345 minutes')";
        cmd.CommandText = q.Daily
            ? $"SELECT {day}, status, count(*) FROM parley_messages WHERE created_at >= $since AND created_at < $until{filter} GROUP BY 1, status"
            : $"SELECT channel, template, status, count(*) FROM parley_messages WHERE created_at >= $since AND created_at < $until{filter} GROUP BY channel, template, status";
        cmd.Parameters.AddWithValue("$since", Timestamps.ToText(since));
        cmd.Parameters.AddWithValue("$until", Timestamps.ToText(until));
        cmd.CommandTimeout = 0;
        return ReadScan(cmd, q, r => DateOnly.ParseExact(r.GetString(0), "yyyy-MM-dd", CultureInfo.InvariantCulture));
    }

    // --- PostgreSQL ---

    private static async Task Postgres(string admin, int messages, List<Result> results, List<string> facts)
    {
        var url = EngineDriver.CreateDatabase("postgres", admin);
        try
        {
            var cs = PostgreSql.PostgresUrl.Parse(url).ConnectionString;
            await using (await Ledger.OpenAsync(new LedgerOptions { Database = url }))
            {
            }
            var data = new StatsData(messages, DateTimeOffset.UtcNow);

            Console.Error.WriteLine($"postgres: loading {messages:N0} messages");
            var watch = Stopwatch.StartNew();
            string version;
            using (var conn = new NpgsqlConnection(cs))
            {
                conn.Open();
                using (var cmd = new NpgsqlCommand("SHOW server_version", conn)) version = (string)cmd.ExecuteScalar()!;
                PostgresLoad(conn, data);
            }
            var load = watch.Elapsed.TotalSeconds;

            Console.Error.WriteLine("postgres: rebuilding the rollups");
            long counted;
            double rebuild;
            using (var conn = new NpgsqlConnection(cs))
            {
                conn.Open();
                watch.Restart();
                Exec(conn, "BEGIN");
                counted = StatsRecount.Rebuild(conn, PostgreSql.PostgresFlavor.Instance);
                Exec(conn, "COMMIT");
                rebuild = watch.Elapsed.TotalSeconds;
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"postgres: loaded in {load:N1} s, rebuilt in {rebuild:N1} s"));
            }
            var maintain = await Maintain(url);

            using (var conn = new NpgsqlConnection(cs))
            {
                conn.Open();
                facts.Add(string.Create(CultureInfo.InvariantCulture,
                    $"PostgreSQL {version} load: {messages:N0} messages and {data.SessionCount:N0} sessions in {load:N1} s ({messages / load:N0} messages/s, generation included)"));
                facts.Add(string.Create(CultureInfo.InvariantCulture,
                    $"PostgreSQL rollup rebuild (`StatsRecount.Rebuild`, one BEGIN … COMMIT): {counted:N0} messages in {rebuild:N1} s ({counted / rebuild:N0} messages/s); " +
                    $"maintenance (VACUUM (ANALYZE), ANALYZE) {maintain:N1} s"));
                facts.Add("PostgreSQL tables (rows; pg_total_relation_size): " + string.Join("; ", ((string[])["parley_messages", .. StatsRecount.Tables]).Select(t =>
                {
                    using var cmd = new NpgsqlCommand($"SELECT pg_total_relation_size('{t}')", conn);
                    return $"{t} {Count(conn, t):N0} rows, {Mb((long)cmd.ExecuteScalar()!)}";
                })));
            }

            await Load(url, "postgres", data, results, (q, since, until) => PostgresScan(cs, q, since, until));
        }
        finally
        {
            EngineDriver.DropDatabase("postgres", admin, url);
        }
    }

    private static void PostgresLoad(NpgsqlConnection conn, StatsData data)
    {
        using (var tx = conn.BeginTransaction())
        {
            using (var w = conn.BeginBinaryImport(
                       "COPY parley_sessions (id, tenant_key, kind, user_account, status, started_at, updated_at, message_count, first_message_at, last_message_at, last_seq) FROM STDIN (FORMAT BINARY)"))
            {
                for (var s = 0; s < data.SessionCount; s++)
                {
                    var x = data.Sessions[s];
                    w.StartRow();
                    w.Write(StatsData.SessionId(s), NpgsqlDbType.Varchar);
                    w.Write("", NpgsqlDbType.Varchar);
                    w.Write("notifications", NpgsqlDbType.Varchar);
                    w.Write($"user-{s}", NpgsqlDbType.Varchar);
                    w.Write("active", NpgsqlDbType.Varchar);
                    w.Write(Utc(x.Count == 0 ? data.Now : x.First), NpgsqlDbType.TimestampTz);
                    w.Write(Utc(x.Count == 0 ? data.Now : x.Last), NpgsqlDbType.TimestampTz);
                    w.Write(x.Count, NpgsqlDbType.Bigint);
                    Time(w, x.Count == 0 ? null : x.First);
                    Time(w, x.Count == 0 ? null : x.Last);
                    w.Write(x.Count, NpgsqlDbType.Bigint);
                }
                w.Complete();
            }
            tx.Commit();
        }

        const string Copy =
            "COPY parley_messages (id, tenant_key, session_id, session_seq, direction, sender_type, channel, recipient, template, subject, content, status, " +
            "sent_at, delivered_at, read_at, failed_at, cancelled_at, sent_implied, delivered_implied, provider_message_id, error_code, error_message, error_at, created_at, updated_at) " +
            "FROM STDIN (FORMAT BINARY)";
        NpgsqlTransaction? open = null;
        NpgsqlBinaryImporter? copy = null;
        var inTx = 0;
        try
        {
            data.Generate(row =>
            {
                if (copy is null)
                {
                    open = conn.BeginTransaction();
                    copy = conn.BeginBinaryImport(Copy);
                }
                copy.StartRow();
                copy.Write(row.Id, NpgsqlDbType.Varchar);
                copy.Write("", NpgsqlDbType.Varchar);
                copy.Write(row.Session, NpgsqlDbType.Varchar);
                copy.Write(row.Seq, NpgsqlDbType.Bigint);
                copy.Write("outbound", NpgsqlDbType.Varchar);
                copy.Write("system", NpgsqlDbType.Varchar);
                copy.Write(row.Channel, NpgsqlDbType.Varchar);
                copy.Write(row.Recipient, NpgsqlDbType.Varchar);
                Str(copy, row.Template);
                Str(copy, row.Subject);
                copy.Write(row.Content, NpgsqlDbType.Text);
                copy.Write(row.Status, NpgsqlDbType.Varchar);
                Time(copy, row.Sent);
                Time(copy, row.Delivered);
                Time(copy, row.Read);
                Time(copy, row.Failed);
                Time(copy, row.Cancelled);
                copy.Write(false, NpgsqlDbType.Boolean);
                copy.Write(false, NpgsqlDbType.Boolean);
                Str(copy, row.ProviderId);
                Str(copy, row.ErrorCode);
                Str(copy, row.ErrorMessage);
                Time(copy, row.ErrorAt);
                copy.Write(Utc(row.Created), NpgsqlDbType.TimestampTz);
                copy.Write(Utc(row.Updated), NpgsqlDbType.TimestampTz);
                if (++inTx == PerTransaction)
                {
                    copy.Complete();
                    copy.Dispose();
                    copy = null;
                    open!.Commit();
                    open.Dispose();
                    open = null;
                    inTx = 0;
                }
            });
            if (copy is not null)
            {
                copy.Complete();
                copy.Dispose();
                copy = null;
                open!.Commit();
            }
        }
        finally
        {
            copy?.Dispose();
            open?.Dispose();
        }
    }

    private static DateTime Utc(long ms) => DateTime.UnixEpoch.AddMilliseconds(ms);

    private static void Time(NpgsqlBinaryImporter w, long? ms)
    {
        if (ms is { } v) w.Write(Utc(v), NpgsqlDbType.TimestampTz);
        else w.WriteNull();
    }

    private static void Str(NpgsqlBinaryImporter w, string? s)
    {
        if (s is null) w.WriteNull();
        else w.Write(s, NpgsqlDbType.Varchar);
    }

    private static (Dictionary<string, long> Stats, Dictionary<DateOnly, long> Days, long Total) PostgresScan(string cs, Question q, DateTimeOffset since, DateTimeOffset until)
    {
        using var conn = new NpgsqlConnection(cs);
        conn.Open();
        var filter = q.Channel is null ? "" : $" AND channel = '{q.Channel}'";
        var local = q.Zone == "UTC" ? "created_at AT TIME ZONE 'UTC'" : "(created_at AT TIME ZONE 'UTC') + interval '5 hours 45 minutes'";
        using var cmd = new NpgsqlCommand(q.Daily
            ? $"SELECT date_trunc('day', {local}), status, count(*) FROM parley_messages WHERE created_at >= @since AND created_at < @until{filter} GROUP BY 1, status"
            : $"SELECT channel, template, status, count(*) FROM parley_messages WHERE created_at >= @since AND created_at < @until{filter} GROUP BY channel, template, status", conn);
        cmd.Parameters.AddWithValue("since", NpgsqlDbType.TimestampTz, since.UtcDateTime);
        cmd.Parameters.AddWithValue("until", NpgsqlDbType.TimestampTz, until.UtcDateTime);
        cmd.CommandTimeout = 0;
        return ReadScan(cmd, q, r => DateOnly.FromDateTime(r.GetDateTime(0)));
    }

    // --- shared ---

    /// <summary>A scan's answer: by status (the window's figures) or by local day (its days), and the total.</summary>
    private static (Dictionary<string, long> Stats, Dictionary<DateOnly, long> Days, long Total) ReadScan(DbCommand cmd, Question q, Func<DbDataReader, DateOnly> date)
    {
        var byStatus = new Dictionary<string, long>(StringComparer.Ordinal);
        var byDay = new Dictionary<DateOnly, long>();
        long total = 0;
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            var n = Convert.ToInt64(r.GetValue(r.FieldCount - 1), CultureInfo.InvariantCulture);
            var status = r.GetString(r.FieldCount - 2);
            byStatus[status] = byStatus.GetValueOrDefault(status) + n;
            if (q.Daily)
            {
                var d = date(r);
                byDay[d] = byDay.GetValueOrDefault(d) + n;
            }
            total += n;
        }
        return (byStatus, byDay, total);
    }

    private static async Task<double> Maintain(string url)
    {
        await using var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = url });
        var watch = Stopwatch.StartNew();
        await ledger.Admin.MaintainAsync();
        return watch.Elapsed.TotalSeconds;
    }

    /// <summary>The eight questions over HTTP, each beside its plain scan.</summary>
    private static async Task Load(string url, string engine, StatsData data, List<Result> results,
        Func<Question, DateTimeOffset, DateTimeOffset, (Dictionary<string, long> Stats, Dictionary<DateOnly, long> Days, long Total)> scan)
    {
        var app = await ParleyServer.BuildAsync(new ServerOptions { Database = url, Urls = "http://127.0.0.1:0" });
        try
        {
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var http = new HttpClient { BaseAddress = new Uri(address) };
            foreach (var q in Questions)
            {
                Console.Error.WriteLine($"{engine}: {q.Url}");
                // The window the server answers, computed as it does.
                var request = StatsRequest.Of(new StatsQuery { Days = StatsData.Days, TimeZone = q.Zone, Channel = q.Channel }, DateTimeOffset.UtcNow);
                var since = StatsCells.Time(request.From);
                var until = StatsCells.Time(request.To);
                var (low, high) = q.Channel is null ? (0.97, 1.0) : (0.30, 0.40);
                var bad = 0;
                string? first = null;
                Answer? last = null;
                var latencies = new double[Timed];
                for (var i = -WarmUp; i < Timed; i++)
                {
                    var started = Stopwatch.GetTimestamp();
                    using var response = await http.GetAsync(q.Url);
                    var body = await response.Content.ReadAsStringAsync();
                    var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    if (i >= 0) latencies[i] = elapsed;
                    var answer = (int)response.StatusCode == 200 ? Parse(body, q) : null;
                    if (answer is null || answer.Total < low * data.Messages || answer.Total > high * data.Messages || (last is not null && answer.Total != last.Total))
                    {
                        bad++;
                        first ??= $"{(int)response.StatusCode}: {body[..Math.Min(300, body.Length)]}";
                    }
                    last = answer ?? last;
                }
                if (first is not null) Console.Error.WriteLine($"{engine}: {q.Url}: {bad} bad answers, first {first}");

                var scans = new List<double>();
                (Dictionary<string, long> Stats, Dictionary<DateOnly, long> Days, long Total) s = ([], [], 0);
                for (var run = 0; run < ScanRuns; run++)
                {
                    var started = Stopwatch.GetTimestamp();
                    s = scan(q, since, until);
                    scans.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
                scans.Sort();

                string? note = null;
                if (last is null) note = "no answer to compare";
                else if (!q.Daily && last.Since != since) note = $"window differs: server {last.Since:O}, scan {since:O}";
                else if (last.Total != s.Total) note = $"total differs from the scan by {last.Total - s.Total:N0}";
                else if (!q.Daily && last.ByStatus.Any(x => x.Value != s.Stats.GetValueOrDefault(x.Key)))
                    note = "status counts differ: " + string.Join(", ", last.ByStatus.Where(x => x.Value != s.Stats.GetValueOrDefault(x.Key))
                        .Select(x => $"{x.Key} {x.Value:N0} vs {s.Stats.GetValueOrDefault(x.Key):N0}"));
                else if (q.Daily && last.ByDay.Any(x => x.Value != s.Days.GetValueOrDefault(x.Key)))
                    note = $"{last.ByDay.Count(x => x.Value != s.Days.GetValueOrDefault(x.Key))} days differ from the scan";

                Array.Sort(latencies);
                var result = new Result(q, engine, latencies[Timed / 2], latencies[(int)(Timed * 0.99)], latencies[^1], scans[ScanRuns / 2], last?.Total ?? -1, s.Total, bad, note);
                results.Add(result);
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{engine}: {q.Url}: p50 {result.P50:N1} ms, p99 {result.P99:N1} ms, max {result.Max:N1} ms; scan {string.Join(" / ", scans.Select(x => x.ToString("N0", CultureInfo.InvariantCulture)))} ms; " +
                    $"{result.Answer:N0} vs {result.ScanAnswer:N0}{(note is null ? "" : "; " + note)}"));
            }
            await app.StopAsync();
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    private sealed record Answer(long Total, DateTimeOffset? Since, Dictionary<string, long> ByStatus, Dictionary<DateOnly, long> ByDay);

    private static Answer? Parse(string body, Question q)
    {
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        if (!q.Daily)
        {
            var overall = root.GetProperty("overall");
            return new Answer(overall.GetProperty("messages").GetInt64(), root.GetProperty("since").GetDateTimeOffset(),
                overall.GetProperty("status_counts").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64(), StringComparer.Ordinal), []);
        }
        var days = root.GetProperty("days").EnumerateArray()
            .ToDictionary(d => DateOnly.ParseExact(d.GetProperty("date").GetString()!, "yyyy-MM-dd", CultureInfo.InvariantCulture), d => d.GetProperty("messages").GetInt64());
        return days.Count == StatsData.Days ? new Answer(days.Values.Sum(), null, [], days) : null;
    }

    private static long Count(DbConnection conn, string table)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = $"SELECT count(*) FROM {table}";
        cmd.CommandTimeout = 0;
        return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static void Exec(DbConnection conn, string sql)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        cmd.CommandTimeout = 0;
        cmd.ExecuteNonQuery();
    }

    private static string Mb(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:N1} MB");

    private static string SqliteVersion()
    {
        using var conn = new SqliteConnection("Data Source=:memory:");
        conn.Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT sqlite_version()";
        return (string)cmd.ExecuteScalar()!;
    }
}
