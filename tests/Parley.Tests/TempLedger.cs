using Microsoft.Data.Sqlite;

namespace Parley.Tests;

/// <summary>A ledger over a fresh SQLite file in its own temporary directory, deleted afterwards.</summary>
public sealed class TempLedger : IAsyncDisposable
{
    private TempLedger(string dir, Ledger ledger)
    {
        Directory = dir;
        Ledger = ledger;
    }

    public string Directory { get; }
    public string Path => System.IO.Path.Combine(Directory, "parley.db");
    public string Url => "sqlite:" + Path;
    public Ledger Ledger { get; private set; }

    public static async Task<TempLedger> OpenAsync(Action<LedgerOptions>? configure = null)
    {
        var dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "parley-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(dir);
        var options = new LedgerOptions { Database = "sqlite:" + System.IO.Path.Combine(dir, "parley.db") };
        configure?.Invoke(options);
        return new TempLedger(dir, await Ledger.OpenAsync(options));
    }

    /// <summary>Closes and opens the ledger again, as a restarted process would.</summary>
    public async Task ReopenAsync()
    {
        await Ledger.DisposeAsync();
        Ledger = await Ledger.OpenAsync(new LedgerOptions { Database = Url });
    }

    /// <summary>A raw connection to the same file, for checking what is really stored.</summary>
    public SqliteConnection Raw()
    {
        var conn = new SqliteConnection($"Data Source={Path};Pooling=False");
        conn.Open();
        return conn;
    }

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
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
