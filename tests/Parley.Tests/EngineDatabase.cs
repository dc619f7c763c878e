using System.Globalization;
using Parley.Internal.Schema;

namespace Parley.Tests;

/// <summary>A fresh, empty database on one engine (a SQLite file or a new database on the test server), with raw SQL
/// helpers that work the same on all three, dropped afterwards.</summary>
public sealed class EngineDatabase : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("parley-engine-").FullName;

    public EngineDatabase(string engine)
    {
        Engine = engine;
        Url = TestDatabases.Create(engine, _dir);
    }

    public string Engine { get; }
    public string Url { get; }

    internal SchemaRunner Runner(IReadOnlyList<Migration>? migrations = null, Action<string>? progress = null) =>
        new(SchemaEngines.For(Url, TimeSpan.FromSeconds(30)), migrations ?? ParleySchema.Migrations, TimeProvider.System, progress);

    /// <summary>Creates Parley's schema and logs <paramref name="messages"/> messages into session "s" through the ledger.</summary>
    public async Task SeedAsync(int messages)
    {
        await using var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = Url });
        await ledger.CreateSessionAsync(new NewSession { Id = "s", Title = "Ünïcödé ✓" });
        for (var done = 0; done < messages; done += 1000)
        {
            await ledger.LogMessagesAsync("s", [.. Enumerable.Range(done, Math.Min(1000, messages - done)).Select(i => new NewMessage
            {
                SenderType = i % 3 == 0 ? SenderType.User : SenderType.Agent, Channel = "whatsapp", Recipient = $"+1555{i:0000000}",
                Subject = i % 2 == 0 ? null : $"subject {i}", Content = $"message {i}: Grüße 世界 🚀 \"quoted\" 'single'",
                Metadata = i % 5 == 0 ? new System.Text.Json.Nodes.JsonObject { ["n"] = i } : null,
            })]);
        }
    }

    public void Exec(string sql)
    {
        using var conn = TestDatabases.Open(Url);
        TestDatabases.Exec(conn, sql);
    }

    public long Scalar(string sql)
    {
        using var conn = TestDatabases.Open(Url);
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>Every row of a table as text in key order, over every column but <paramref name="except"/>.</summary>
    public List<string> Dump(string table, string orderBy, params string[] except)
    {
        using var conn = TestDatabases.Open(Url);
        using var cmd = conn.CreateCommand();
        cmd.CommandText = $"SELECT * FROM {table} ORDER BY {orderBy}";
        using var r = cmd.ExecuteReader();
        var keep = Enumerable.Range(0, r.FieldCount).Where(i => !except.Contains(r.GetName(i))).ToList();
        var rows = new List<string>();
        while (r.Read())
        {
            rows.Add(string.Join("|", keep.Select(i => r.IsDBNull(i) ? "∅" : r.GetValue(i) switch
            {
                DateTime d => d.ToString("O", CultureInfo.InvariantCulture),
                var v => Convert.ToString(v, CultureInfo.InvariantCulture),
            })));
        }
        return rows;
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        TestDatabases.Drop(Engine, Url);
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
