using BenchmarkDotNet.Attributes;
using Microsoft.Data.Sqlite;

namespace Parley.Bench;

/// <summary>What one transcript page of 50 chat messages costs on SQLite (the `readers` driver's page), beside the same
/// SQL read raw: the pooled read-only connection, the read transaction, the session's markers and the 50 rows with
/// every column taken as the reader returns it (times left as text). The difference is Parley's own work per page
/// (docs/benchmarks.md, issue 16).</summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class TranscriptPageBenchmark
{
    private const int PageSize = 50;
    private string _dir = "";
    private string _file = "";
    private Ledger _ledger = null!;
    private string _readCs = "";

    private const string MessagesSql =
        "SELECT id, session_id, session_seq, idempotency_key, direction, sender_type, sender_id, sender_name, channel, recipient, " +
        "template, subject, content, status, sent_at, delivered_at, read_at, failed_at, cancelled_at, sent_implied, " +
        "delivered_implied, provider_message_id, error_code, error_message, error_at, metadata, created_at, updated_at, tenant_key " +
        "FROM parley_messages WHERE tenant_key = @tk AND session_id = @id ORDER BY session_seq DESC LIMIT @limit";

    [GlobalSetup]
    public async Task Setup()
    {
        _dir = Workload.NewDirectory();
        _file = Path.Combine(_dir, "parley.db");
        _ledger = await Ledger.OpenAsync(new LedgerOptions { Database = "sqlite:" + _file });
        await _ledger.CreateSessionAsync(new NewSession { Id = "chat0", Kind = "chat" });
        // As the driver's seed: 200 turns of ~300 bytes, user (inbound, delivered) and agent (outbound, pending) alternating.
        await _ledger.LogMessagesAsync("chat0", [.. Enumerable.Range(0, 200).Select(i => new NewMessage
        {
            SenderType = i % 2 == 0 ? SenderType.User : SenderType.Agent,
            SenderId = i % 2 == 0 ? "customer" : "agent-7",
            Channel = "web",
            Content = new string('x', 200) + " Thanks, that works for me. Could you also send the invoice for last month to my other address?",
        })]);
        _readCs = new SqliteConnectionStringBuilder { DataSource = _file, Mode = SqliteOpenMode.ReadOnly, Pooling = true }.ToString();
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _ledger.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, true);
    }

    [Benchmark(Description = "Parley GetTranscriptAsync, 50 messages")]
    public async Task<int> Parley() =>
        (await _ledger.GetTranscriptAsync("chat0", new TranscriptQuery { Limit = PageSize, Descending = true })).Items.Count;

    [Benchmark(Baseline = true, Description = "raw: the same statements, columns as returned")]
    public int Raw()
    {
        using var conn = new SqliteConnection(_readCs);
        conn.Open();
        Exec(conn, "BEGIN");
        string tenantKey;
        using (var cmd = conn.CreateCommand())
        {
            cmd.CommandText = "SELECT agent_read_seq, user_read_seq, tenant_key FROM parley_sessions WHERE id = @id";
            cmd.Parameters.AddWithValue("@id", "chat0");
            using var r = cmd.ExecuteReader();
            r.Read();
            _ = r.GetInt64(0) + r.GetInt64(1);
            tenantKey = r.GetString(2);
        }
        var rows = 0;
        using (var cmd = conn.CreateCommand())
        {
            cmd.CommandText = MessagesSql;
            cmd.Parameters.AddWithValue("@id", "chat0");
            cmd.Parameters.AddWithValue("@tk", tenantKey);
            cmd.Parameters.AddWithValue("@limit", PageSize + 1);
            using var r = cmd.ExecuteReader();
            var values = new object[29];
            while (r.Read())
            {
                r.GetValues(values);
                rows++;
            }
        }
        Exec(conn, "COMMIT");
        return rows;
    }

    [Benchmark(Description = "raw parts: pooled open, BEGIN, COMMIT")]
    public int RawTransactionOnly()
    {
        using var conn = new SqliteConnection(_readCs);
        conn.Open();
        Exec(conn, "BEGIN");
        Exec(conn, "COMMIT");
        return 0;
    }

    [Benchmark(Description = "raw parts: the messages statement on an open connection, rows stepped, no column read")]
    public int RawStepOnly()
    {
        _open ??= Opened();
        using var cmd = _open.CreateCommand();
        cmd.CommandText = MessagesSql;
        cmd.Parameters.AddWithValue("@id", "chat0");
        cmd.Parameters.AddWithValue("@tk", "");
        cmd.Parameters.AddWithValue("@limit", PageSize + 1);
        using var r = cmd.ExecuteReader();
        var rows = 0;
        while (r.Read()) rows++;
        return rows;
    }

    [Benchmark(Description = "raw parts: the same, prepared once and kept")]
    public int RawPreparedStepOnly()
    {
        if (_prepared is null)
        {
            _open ??= Opened();
            _prepared = _open.CreateCommand();
            _prepared.CommandText = MessagesSql;
            _prepared.Parameters.AddWithValue("@id", "chat0");
            _prepared.Parameters.AddWithValue("@tk", "");
            _prepared.Parameters.AddWithValue("@limit", PageSize + 1);
            _prepared.Prepare();
        }
        using var r = _prepared.ExecuteReader();
        var rows = 0;
        while (r.Read()) rows++;
        return rows;
    }

    [Benchmark(Description = "raw parts: the same, prepared, every column read as returned")]
    public int RawPreparedValues()
    {
        RawPreparedStepOnly();
        using var r = _prepared!.ExecuteReader();
        var values = new object[29];
        var rows = 0;
        while (r.Read())
        {
            r.GetValues(values);
            rows++;
        }
        return rows;
    }

    private SqliteConnection? _open;
    private SqliteCommand? _prepared;

    private SqliteConnection Opened()
    {
        var conn = new SqliteConnection(_readCs);
        conn.Open();
        return conn;
    }

    private static void Exec(SqliteConnection conn, string sql)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}

/// <summary>Parley's stored time text (fixed width, UTC, milliseconds) read back: the BCL's exact parse, which every
/// time column of a SQLite row used to go through, against Parley's fixed-width parser.</summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class TimestampParseBenchmark
{
    private readonly string[] _texts = [.. Enumerable.Range(0, 150).Select(i =>
        Internal.Timestamps.ToText(new DateTimeOffset(2026, 12, 2, 3, 4, 5, TimeSpan.Zero).AddMilliseconds(i * 7_919)))];

    [Benchmark(Baseline = true, Description = "DateTimeOffset.ParseExact, 150 times")]
    public long ParseExact()
    {
        long sum = 0;
        foreach (var t in _texts)
            sum += DateTimeOffset.ParseExact(t, Internal.Timestamps.Format, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal).Ticks;
        return sum;
    }

    [Benchmark(Description = "Timestamps.Parse, 150 times")]
    public long Parse()
    {
        long sum = 0;
        foreach (var t in _texts) sum += Internal.Timestamps.Parse(t).Ticks;
        return sum;
    }
}
