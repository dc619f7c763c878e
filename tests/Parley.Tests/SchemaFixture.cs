using Microsoft.Data.Sqlite;
using Parley.Internal.Schema;
using Parley.Internal.Sqlite;

namespace Parley.Tests;

/// <summary>A SQLite file at Parley's head with data in it, and runners for Parley's migrations plus test ones.</summary>
public sealed class SchemaFixture : IDisposable
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("parley-schema-").FullName;
    public string Path => System.IO.Path.Combine(Directory, "parley.db");
    public string Url => "sqlite:" + Path;

    internal static IReadOnlyList<Migration> Head => ParleySchema.Migrations;
    internal static SchemaState AtHead => SchemaState.At(Head, ParleySchema.Head);

    /// <summary>Parley's migrations and one more, v(head+1), whose down steps are derived.</summary>
    internal static IReadOnlyList<Migration> With(params MigrationOp[] ops) =>
        [.. Head, Migration.Reversible(ParleySchema.Head + 1, "test migration", ops, AtHead)];

    internal SchemaRunner Runner(IReadOnlyList<Migration>? migrations = null, Action<string>? progress = null) =>
        new(new SqliteSchemaEngine(Path, TimeSpan.FromSeconds(10)), migrations ?? Head, TimeProvider.System, progress);

    /// <summary>Creates the database at head and logs <paramref name="messages"/> messages through the ledger.</summary>
    public async Task SeedAsync(int messages, Func<int, string>? content = null)
    {
        await using var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = Url });
        await ledger.CreateSessionAsync(new NewSession { Id = "s", Title = "Ünïcödé ✓" });
        for (var done = 0; done < messages; done += 1000)
        {
            var batch = Enumerable.Range(done, Math.Min(1000, messages - done)).Select(i => new NewMessage
            {
                SenderType = i % 3 == 0 ? SenderType.User : SenderType.Agent, Channel = "whatsapp", Recipient = $"+1555{i:0000000}",
                Subject = i % 2 == 0 ? null : $"subject {i}", Content = content?.Invoke(i) ?? $"message {i}: Grüße 世界 🚀 \"quoted\" 'single'",
            }).ToList();
            await ledger.LogMessagesAsync("s", batch);
        }
    }

    public SqliteConnection Open()
    {
        var conn = new SqliteConnection($"Data Source={Path};Pooling=False");
        conn.Open();
        return conn;
    }

    public void Exec(string sql)
    {
        using var conn = Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    public long Scalar(string sql)
    {
        using var conn = Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public string? ScalarText(string sql)
    {
        using var conn = Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar() as string;
    }

    /// <summary>Every row of a table as text, in rowid order, over the named columns (default: all).</summary>
    public List<string> Dump(string table, IEnumerable<string>? columns = null)
    {
        using var conn = Open();
        var names = columns?.ToList() ?? Columns(table);
        using var cmd = conn.CreateCommand();
        cmd.CommandText = $"SELECT {string.Join(", ", names.Select(n => $"quote({n})"))} FROM {table} ORDER BY rowid";
        using var r = cmd.ExecuteReader();
        var rows = new List<string>();
        while (r.Read()) rows.Add(string.Join("|", Enumerable.Range(0, r.FieldCount).Select(r.GetString)));
        return rows;
    }

    public List<string> Columns(string table)
    {
        using var conn = Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = $"SELECT name FROM pragma_table_info('{table}') ORDER BY cid";
        using var r = cmd.ExecuteReader();
        var list = new List<string>();
        while (r.Read()) list.Add(r.GetString(0));
        return list;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
