using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Parley.Tests;

/// <summary>Runs Parley's own programs as real child processes: the command line and the test child.</summary>
public static class ChildProcess
{
    public static string RepoRoot { get; } = FindRoot();

    private static string Configuration => AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    public static string Cli => Path.Combine(RepoRoot, "src/Parley.Cli/bin", Configuration, "net10.0/Parley.Cli.dll");
    public static string TestChild => Path.Combine(RepoRoot, "tests/Parley.TestChild/bin", Configuration, "net10.0/Parley.TestChild.dll");

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Parley.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("run the tests inside the repository");
    }

    public static Process Start(string dll, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment.Remove("PARLEY_DB");
        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {dll}");
    }

    /// <summary>Runs to completion (or kills it after <paramref name="timeout"/>) and returns what it said.</summary>
    public static async Task<(int Exit, string Out, string Err)> RunAsync(string dll, TimeSpan timeout, params string[] args)
    {
        using var p = Start(dll, args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(dll)} {string.Join(' ', args)} did not finish in {timeout}; stderr: {await stderr}");
        }
        return (p.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs a system tool (mount, ln …) to completion and returns its exit code.</summary>
    public static int Tool(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        process.WaitForExit();
        return process.ExitCode;
    }

    public static Task<(int Exit, string Out, string Err)> ParleyAsync(params string[] args) => RunAsync(Cli, TimeSpan.FromMinutes(2), args);

    /// <summary>A loopback port free at the time of asking.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Polls <c>/health/ready</c> of a <c>parley serve</c> child until it answers; fails if the process exits.</summary>
    public static async Task<HttpClient> WaitUntilReadyAsync(Process server, int port)
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        for (var i = 0; i < 200; i++)
        {
            if (server.HasExited) throw new InvalidOperationException($"parley serve exited with {server.ExitCode}: {await server.StandardError.ReadToEndAsync()}");
            try
            {
                if ((await http.GetAsync("/health/ready")).IsSuccessStatusCode) return http;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("parley serve did not become ready");
    }
}
