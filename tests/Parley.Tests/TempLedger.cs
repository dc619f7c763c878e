using System.Data.Common;

namespace Parley.Tests;

/// <summary>A ledger over a fresh database — a SQLite file in its own temporary directory, or a new database on
/// the test PostgreSQL or MariaDB server — deleted afterwards.</summary>
public sealed class TempLedger : IAsyncDisposable
{
    private TempLedger(string engine, string dir, string url, Ledger ledger)
    {
        Engine = engine;
        Directory = dir;
        Url = url;
        Ledger = ledger;
    }

    public string Engine { get; }
    public string Directory { get; }
    public string Path => System.IO.Path.Combine(Directory, "parley.db");
    public string Url { get; }
    public Ledger Ledger { get; private set; }

    public static Task<TempLedger> OpenAsync(Action<LedgerOptions>? configure = null) => OpenAsync(TestDatabases.Sqlite, configure);

    public static async Task<TempLedger> OpenAsync(string engine, Action<LedgerOptions>? configure = null)
    {
        var dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "parley-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(dir);
        var url = TestDatabases.Create(engine, dir);
        var options = new LedgerOptions { Database = url };
        configure?.Invoke(options);
        return new TempLedger(engine, dir, url, await Ledger.OpenAsync(options));
    }

    /// <summary>Closes and opens the ledger again, as a restarted process would.</summary>
    public async Task ReopenAsync()
    {
        await Ledger.DisposeAsync();
        Ledger = await Ledger.OpenAsync(new LedgerOptions { Database = Url });
    }

    /// <summary>A raw connection to the same file, for checking what is really stored.</summary>
    public DbConnection Raw() => TestDatabases.Open(Url);

    public long Scalar(string sql)
    {
        using var conn = Raw();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public string? ScalarText(string sql)
    {
        using var conn = Raw();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar() as string;
    }

    public async Task<string> NewSessionAsync(string? id = null) =>
        (await Ledger.CreateSessionAsync(new NewSession { Id = id })).Session.Id;

    public async ValueTask DisposeAsync()
    {
        await Ledger.DisposeAsync();
        TestDatabases.Drop(Engine, Url);
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
