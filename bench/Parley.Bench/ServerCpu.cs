using System.Globalization;
using MySqlConnector;
using Npgsql;
using Parley.MySql;
using Parley.PostgreSql;

namespace Parley.Bench;

/// <summary>CPU time used by a database server running on this machine (Linux /proc): PostgreSQL's postmaster and its
/// backends (found through the data directory's postmaster.pid), MySQL/MariaDB's one process (@@pid_file). Lets a
/// benchmark tell the server's share of the cores from the client's and from everything else. Zero when the server
/// is elsewhere or /proc is not there.</summary>
internal sealed class ServerCpu
{
    private readonly int? _pid;
    private readonly bool _children;

    private ServerCpu(int? pid, bool children) => (_pid, _children) = (pid, children);

    public static ServerCpu For(string engine, string adminUrl)
    {
        try
        {
            string file;
            if (engine == "postgres")
            {
                using var conn = new NpgsqlConnection(PostgresUrl.Parse(adminUrl).ConnectionString);
                conn.Open();
                using var cmd = new NpgsqlCommand("SHOW data_directory", conn);
                file = Path.Combine((string)cmd.ExecuteScalar()!, "postmaster.pid");
            }
            else
            {
                using var conn = new MySqlConnection(MySqlUrl.Parse(adminUrl).ConnectionString);
                conn.Open();
                using var cmd = new MySqlCommand("SELECT @@pid_file", conn);
                file = (string)cmd.ExecuteScalar()!;
            }
            return new ServerCpu(int.Parse(File.ReadLines(file).First().Trim(), CultureInfo.InvariantCulture), children: engine == "postgres");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or System.Data.Common.DbException)
        {
            Console.Error.WriteLine($"the {engine} server's CPU is not measured: {e.Message}");
            return new ServerCpu(null, false);
        }
    }

    /// <summary>The server's CPU time so far: the process, its reaped children, and (PostgreSQL) its live backends.</summary>
    public TimeSpan Used()
    {
        if (_pid is not { } pid) return TimeSpan.Zero;
        long ticks = 0;
        foreach (var dir in _children ? Directory.EnumerateDirectories("/proc") : [$"/proc/{pid}"])
        {
            if (!int.TryParse(Path.GetFileName(dir), out var candidate)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                // Fields after the command name (which may hold spaces): state, ppid, … utime (14), stime, cutime, cstime.
                var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (candidate == pid) ticks += long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture)
                                               + long.Parse(f[13], CultureInfo.InvariantCulture) + long.Parse(f[14], CultureInfo.InvariantCulture);
                else if (int.Parse(f[1], CultureInfo.InvariantCulture) == pid)
                    ticks += long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // The process ended between the listing and the read.
            }
        }
        return TimeSpan.FromSeconds(ticks / 100.0); // USER_HZ
    }
}
