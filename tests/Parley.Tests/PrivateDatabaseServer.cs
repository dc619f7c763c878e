using System.Diagnostics;

namespace Parley.Tests;

/// <summary>A PostgreSQL or MariaDB server of a test's own, started by <c>scripts/test-databases.sh</c> on a free
/// loopback port, so that the test may stop it and start it again without disturbing the rest of the suite. It
/// holds one empty database, <see cref="Url"/>. Fails (never skips) when the engine is not installed.</summary>
public sealed class PrivateDatabaseServer : IDisposable
{
    private readonly string _dir;

    private PrivateDatabaseServer(string url, string dir)
    {
        _dir = dir;
        using (var admin = TestDatabases.Open(url)) TestDatabases.Exec(admin, "CREATE DATABASE parley_outage");
        Url = url[..(url.LastIndexOf('/') + 1)] + "parley_outage";
    }

    public string Url { get; }

    public static async Task<PrivateDatabaseServer> StartAsync(string engine)
    {
        var (exit, output) = await ShellAsync($"source scripts/test-databases.sh && parley_db_private {engine}");
        var parts = output.Trim().Split(' ');
        if (exit != 0 || parts.Length != 2)
            throw new InvalidOperationException($"a private {engine} server did not start (exit {exit}): {output}. ./test.sh installs the engines.");
        return new PrivateDatabaseServer(parts[0], parts[1]);
    }

    /// <summary>Stops the server (PostgreSQL: fast shutdown, cutting connections; MariaDB: its normal shutdown).</summary>
    public async Task StopAsync() => await RunAsync("stop");

    public async Task StartAsync() => await RunAsync("start");

    private async Task RunAsync(string script)
    {
        var (exit, output) = await ShellAsync(Path.Combine(_dir, script));
        if (exit != 0) throw new InvalidOperationException($"{script} of the private database server failed: {output}");
    }

    private static async Task<(int Exit, string Output)> ShellAsync(string command)
    {
        var start = new ProcessStartInfo("bash", ["-c", command])
        {
            WorkingDirectory = ChildProcess.RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, (await output) + (await error));
    }

    public void Dispose()
    {
        Npgsql.NpgsqlConnection.ClearAllPools();
        MySqlConnector.MySqlConnection.ClearAllPools();
        using (var stop = Process.Start("sh", [Path.Combine(_dir, "stop")])) stop.WaitForExit();
        Directory.Delete(Path.GetDirectoryName(_dir)!, recursive: true);
    }
}
