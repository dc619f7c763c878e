using System.Data.Common;
using Microsoft.Data.Sqlite;
using MySqlConnector;
using Npgsql;

namespace Parley.Tests;

/// <summary>The engines a scenario runs on, and a fresh database on each. The server engines' URLs come from
/// <c>./test.sh</c>, which starts throwaway PostgreSQL and MariaDB servers (<c>PARLEY_TEST_POSTGRES</c>,
/// <c>PARLEY_TEST_MYSQL</c>). Without them those cases fail, saying so — never skipped; a quick local loop runs
/// only SQLite with <c>dotnet test --filter "Engine=sqlite|Engine!~sql"</c> (see README).</summary>
public static class TestDatabases
{
    public const string Sqlite = "sqlite", Postgres = "postgres", MySql = "mysql";

    public static TheoryData<string> All => [Sqlite, Postgres, MySql];
    public static TheoryData<string> Servers => [Postgres, MySql];

    /// <summary>How many times over the fault tests inject their faults: 1 in the suite; <c>scripts/soak.sh</c> sets
    /// <c>PARLEY_SOAK</c> higher for a longer run.</summary>
    public static int Soak { get; } = int.TryParse(Environment.GetEnvironmentVariable("PARLEY_SOAK"), out var n) && n > 0 ? n : 1;

    /// <summary>The admin URL of a server engine; a failure that says how to get one when the suite was not given one.</summary>
    public static string AdminUrl(string engine)
    {
        var variable = engine == Postgres ? "PARLEY_TEST_POSTGRES" : "PARLEY_TEST_MYSQL";
        var url = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrEmpty(url)) return url;
        throw new InvalidOperationException($"{variable} is not set: ./test.sh starts a throwaway {engine} server and sets it (see its output).");
    }

    /// <summary>Creates an empty database and returns its URL; <paramref name="dir"/> holds SQLite's file.</summary>
    public static string Create(string engine, string dir)
    {
        if (engine == Sqlite) return "sqlite:" + System.IO.Path.Combine(dir, "parley.db");
        var name = "parley_t_" + Guid.NewGuid().ToString("N")[..16];
        using (var admin = OpenAdmin(engine)) Exec(admin, $"CREATE DATABASE {name}");
        var admin_ = AdminUrl(engine);
        return admin_[..(admin_.LastIndexOf('/') + 1)] + name;
    }

    public static void Drop(string engine, string url)
    {
        if (engine == Sqlite) return;
        var name = url[(url.LastIndexOf('/') + 1)..];
        NpgsqlConnection.ClearAllPools();
        MySqlConnection.ClearAllPools();
        using var admin = OpenAdmin(engine);
        Exec(admin, engine == Postgres ? $"DROP DATABASE IF EXISTS {name} WITH (FORCE)" : $"DROP DATABASE IF EXISTS {name}");
    }

    /// <summary>A raw connection to a database, for checking what is really stored.</summary>
    public static DbConnection Open(string url)
    {
        DbConnection conn = url switch
        {
            _ when url.StartsWith("sqlite:", StringComparison.Ordinal) => new SqliteConnection($"Data Source={url["sqlite:".Length..]};Pooling=False"),
            _ when url.StartsWith("postgres", StringComparison.Ordinal) => new NpgsqlConnection(Parley.PostgreSql.PostgresUrl.Parse(url).ConnectionString),
            _ => new MySqlConnection(Parley.MySql.MySqlUrl.Parse(url).ConnectionString),
        };
        conn.Open();
        return conn;
    }

    private static DbConnection OpenAdmin(string engine) => Open(AdminUrl(engine));

    /// <summary>Holds a SQLite file's write lock (<c>BEGIN IMMEDIATE</c>, as another process would) until disposed.</summary>
    public static SqliteConnection LockSqlite(string path)
    {
        var conn = new SqliteConnection($"Data Source={path};Pooling=False");
        conn.Open();
        Exec(conn, "BEGIN IMMEDIATE");
        return conn;
    }

    public static void Exec(DbConnection conn, string sql)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
