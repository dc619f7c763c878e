using System.Globalization;
using System.Xml.Linq;

namespace Parley.Tests;

/// <summary>
/// Parley's packages as a user gets them: <c>dotnet pack</c> of the solution, once per test run, into a local feed
/// of its own with a version no other run has used (<c>0.1.0-test.TICKS</c>), so no NuGet cache can hand back an
/// older Parley. Beside the feed is a <c>nuget.config</c> that names only that feed and nuget.org, with a package
/// folder of its own (the user's folder serves as a read-only fallback for everything else), so what the tests
/// restore depends neither on the user's NuGet configuration nor on what an earlier run left in the user's cache.
/// A project created under <see cref="Directory"/> picks that configuration up by itself.
/// </summary>
public sealed class PackageFeed : IAsyncLifetime
{
    /// <summary>The packages <c>dotnet pack</c> makes, and only those: tests, the test child and benchmarks are not packable.</summary>
    public static readonly IReadOnlyList<string> PackageIds = ["Parley", "Parley.AspNetCore", "Parley.Client", "Parley.MySql", "Parley.PostgreSql", "Parley.Tool"];

    /// <summary>The id of the <c>parley</c> .NET tool.</summary>
    public const string ToolId = "Parley.Tool";

    private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(15);

    /// <summary>A fresh temporary directory holding the feed, its nuget.config and whatever the tests make.</summary>
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("parley-packages-").FullName;

    /// <summary>The local feed with this run's .nupkg and .snupkg files.</summary>
    public string Feed => Path.Combine(Directory, "feed");

    /// <summary>The isolated NuGet configuration: the feed, nuget.org, a package folder under <see cref="Directory"/>.</summary>
    public string NuGetConfig => Path.Combine(Directory, "nuget.config");

    /// <summary>The version every package of this run carries.</summary>
    public string Version { get; } = $"{VersionPrefix()}-test.{DateTime.UtcNow.Ticks.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>How long packing took.</summary>
    public TimeSpan PackTime { get; private set; }

    public async Task InitializeAsync()
    {
        System.IO.Directory.CreateDirectory(Feed);
        await WriteNuGetConfigAsync();
        var started = DateTime.UtcNow;
        // As a user packs (README, "Packages"), with the outputs moved out of the repository so the bin/ and obj/
        // folders that other tests run programs from are never rebuilt under them. Analyzers only add diagnostics,
        // which the ordinary build already enforces; skipping them here changes no byte of the packages' code.
        await DotnetProcess.DotnetAsync(ChildProcess.RepoRoot, PackTimeout,
            "pack", Path.Combine(ChildProcess.RepoRoot, "Parley.sln"), "-c", "Release",
            "--artifacts-path", Path.Combine(Directory, "build"),
            $"-p:Version={Version}", $"-p:PackageOutputPath={Feed}/", $"-p:RestoreConfigFile={NuGetConfig}",
            "-p:RunAnalyzers=false", "-nodeReuse:false", "-v", "q", "-nologo", "-clp:ErrorsOnly");
        PackTime = DateTime.UtcNow - started;
        var made = System.IO.Directory.GetFiles(Feed, "*.nupkg").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        var expected = PackageIds.Select(id => $"{id}.{Version}.nupkg").ToList();
        if (!made.SequenceEqual(expected))
            throw new InvalidOperationException($"dotnet pack made [{string.Join(", ", made)}], expected [{string.Join(", ", expected)}]");
    }

    /// <summary>The packages' own version prefix, from the one place it is set.</summary>
    private static string VersionPrefix()
    {
        var props = XDocument.Load(Path.Combine(ChildProcess.RepoRoot, "Directory.Build.props"));
        return props.Descendants("VersionPrefix").SingleOrDefault()?.Value
            ?? throw new InvalidOperationException("Directory.Build.props sets no VersionPrefix");
    }

    private async Task WriteNuGetConfigAsync()
    {
        var config = new XElement("configuration",
            new XElement("packageSources",
                new XElement("clear"),
                Add("parley-test-feed", Feed),
                Add("nuget.org", "https://api.nuget.org/v3/index.json")),
            new XElement("config", Add("globalPackagesFolder", Path.Combine(Directory, "nuget-packages"))));
        // Everything but Parley is taken from the user's package folder when it is there (read-only), rather than
        // downloaded again into this run's folder.
        var user = await UserPackagesFolderAsync();
        config.Add(new XElement("fallbackPackageFolders", new XElement("clear"), user is null ? null : Add("user", user)));
        new XDocument(config).Save(NuGetConfig);

        static XElement Add(string key, string value) => new("add", new XAttribute("key", key), new XAttribute("value", value));
    }

    /// <summary>The user's global package folder as NuGet resolves it (NUGET_PACKAGES, their configuration, the default).</summary>
    private static async Task<string?> UserPackagesFolderAsync()
    {
        var path = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrEmpty(path))
        {
            var (stdout, _) = await DotnetProcess.DotnetAsync(ChildProcess.RepoRoot, TimeSpan.FromMinutes(1), "nuget", "locals", "global-packages", "--list");
            const string Prefix = "global-packages:";
            var line = stdout.Trim();
            path = line.StartsWith(Prefix, StringComparison.Ordinal) ? line[Prefix.Length..].Trim() : null;
        }
        return path is not null && System.IO.Directory.Exists(path) ? path : null;
    }

    public Task DisposeAsync()
    {
        try { System.IO.Directory.Delete(Directory, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        return Task.CompletedTask;
    }
}
