using System.Diagnostics;

namespace Parley.Tests;

/// <summary>Runs the .NET SDK (and the programs it installs) as a user's shell would: a clean environment, a
/// time limit, and the whole output in the exception when it fails.</summary>
public static class DotnetProcess
{
    /// <summary>The <c>dotnet</c> host these tests run on, so a child uses the same SDK and runtime.</summary>
    public static string Host { get; } = FindHost();

    private static string FindHost()
    {
        var fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk)) return fromSdk;
        var self = Environment.ProcessPath;
        return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }

    /// <summary>Runs <c>dotnet ARGS</c> in <paramref name="workingDirectory"/>; throws unless it exits 0.</summary>
    public static Task<(string Out, string Err)> DotnetAsync(string workingDirectory, TimeSpan timeout, params string[] args) =>
        CheckedAsync(Host, workingDirectory, timeout, args);

    /// <summary>Runs any program; throws unless it exits 0.</summary>
    public static async Task<(string Out, string Err)> CheckedAsync(string file, string workingDirectory, TimeSpan timeout, params string[] args)
    {
        var (exit, stdout, stderr) = await RunAsync(file, workingDirectory, timeout, args);
        if (exit != 0) throw new InvalidOperationException($"{Describe(file, args)} exited with {exit}\n{Tail(stdout, stderr)}");
        return (stdout, stderr);
    }

    /// <summary>Runs any program to completion, or kills its process tree after <paramref name="timeout"/> and throws.</summary>
    public static async Task<(int Exit, string Out, string Err)> RunAsync(string file, string workingDirectory, TimeSpan timeout, params string[] args)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        Clean(info.Environment);
        using var p = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
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
            await p.WaitForExitAsync();
            throw new TimeoutException($"{Describe(file, args)} did not finish in {timeout}\n{Tail(await stdout, await stderr)}");
        }
        return (p.ExitCode, await stdout, await stderr);
    }

    private static void Clean(IDictionary<string, string?> env)
    {
        // `dotnet test` runs us with MSBuild's own variables set; a child SDK must find its own. NUGET_PACKAGES would
        // override the isolated nuget.config's package folder, and the Parley variables would change what the
        // programs under test do.
        foreach (var name in env.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)
                     || k.StartsWith("PARLEY_", StringComparison.Ordinal) || k == "NUGET_PACKAGES").ToList())
            env.Remove(name);
        env["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        env["DOTNET_NOLOGO"] = "1";
        env["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        env["DOTNET_CLI_UI_LANGUAGE"] = "en";
        // An installed tool's launcher looks for the runtime here first; point it at the one running these tests.
        if (string.IsNullOrEmpty(env.TryGetValue("DOTNET_ROOT", out var root) ? root : null) && Path.IsPathRooted(Host))
            env["DOTNET_ROOT"] = Path.GetDirectoryName(Host);
    }

    private static string Describe(string file, string[] args) => $"{Path.GetFileName(file)} {string.Join(' ', args)}";

    /// <summary>The end of what a failed command said: MSBuild puts its errors on stdout, the rest go to stderr.</summary>
    private static string Tail(string stdout, string stderr)
    {
        static string Last(string text) => text.Length <= 8000 ? text : "…" + text[^8000..];
        return $"stdout:\n{Last(stdout)}\nstderr:\n{Last(stderr)}";
    }
}
