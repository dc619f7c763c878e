using System.IO.Compression;
using System.Text.Json;
using System.Xml.Linq;
using Xunit.Abstractions;

namespace Parley.Tests;

/// <summary>What <c>dotnet pack</c> makes works for a user who never saw the repository: the metadata a package page
/// shows, and the <c>parley</c> tool installed from the feed and run.</summary>
[Collection(PackageFeedUsers.Name)]
public class PackageTests(PackageFeed feed, ITestOutputHelper output)
{
    private static readonly TimeSpan Install = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan Command = TimeSpan.FromMinutes(1);

    [Fact]
    public void every_package_carries_the_one_version_its_metadata_and_its_readme()
    {
        output.WriteLine($"packed {feed.Version} in {feed.PackTime.TotalSeconds:F0} s");
        foreach (var id in PackageFeed.PackageIds)
        {
            using var package = ZipFile.OpenRead(Path.Combine(feed.Feed, $"{id}.{feed.Version}.nupkg"));
            var nuspec = Nuspec(package);
            string? Field(string name) => nuspec.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;

            Assert.Equal(id, Field("id"));
            Assert.Equal(feed.Version, Field("version"));
            Assert.Equal("MIT", Field("license"));
            Assert.False(string.IsNullOrWhiteSpace(Field("authors")), $"{id}: no authors");
            Assert.False(string.IsNullOrWhiteSpace(Field("description")), $"{id}: no description");
            Assert.Contains("parley", Field("tags") ?? "", StringComparison.Ordinal);
            Assert.Equal("README.md", Field("readme"));
            var readme = package.GetEntry("README.md") ?? throw new Xunit.Sdk.XunitException($"{id}: README.md is not in the package");
            using (var text = new StreamReader(readme.Open()))
                Assert.StartsWith($"# {id}\n", text.ReadToEnd(), StringComparison.Ordinal);
            // SourceLink found the commit the package was built from.
            var commit = nuspec.Elements().SingleOrDefault(e => e.Name.LocalName == "repository")?.Attribute("commit")?.Value;
            Assert.Matches("^[0-9a-f]{40}$", commit ?? "");
            // Parley's packages depend on one another at exactly this run's version.
            foreach (var dependency in nuspec.Descendants().Where(e => e.Name.LocalName == "dependency" && ((string?)e.Attribute("id"))!.StartsWith("Parley", StringComparison.Ordinal)))
                Assert.Equal(feed.Version, (string?)dependency.Attribute("version"));

            var symbols = File.Exists(Path.Combine(feed.Feed, $"{id}.{feed.Version}.snupkg"));
            if (id == PackageFeed.ToolId)
            {
                Assert.Contains(nuspec.Descendants(), e => e.Name.LocalName == "packageType" && (string?)e.Attribute("name") == "DotnetTool");
                Assert.Contains(package.Entries, e => e.FullName.EndsWith("/Parley.Cli.pdb", StringComparison.Ordinal));
                Assert.False(symbols, "the tool carries its PDBs inside; it needs no symbol package");
            }
            else
            {
                Assert.True(symbols, $"{id}: no .snupkg symbol package");
                Assert.Contains(package.Entries, e => e.FullName == $"lib/net10.0/{id}.dll");
                Assert.Contains(package.Entries, e => e.FullName == $"lib/net10.0/{id}.xml");
            }
        }
    }

    [Fact]
    public async Task the_tool_installed_from_the_feed_migrates_a_database_to_the_schema_head()
    {
        var tools = Path.Combine(feed.Directory, "tools");
        var started = DateTime.UtcNow;
        await DotnetProcess.DotnetAsync(feed.Directory, Install, "tool", "install", PackageFeed.ToolId,
            "--tool-path", tools, "--add-source", feed.Feed, "--configfile", feed.NuGetConfig, "--version", feed.Version);
        output.WriteLine($"packed in {feed.PackTime.TotalSeconds:F0} s, installed in {(DateTime.UtcNow - started).TotalSeconds:F0} s");
        var parley = Path.Combine(tools, "parley");
        Assert.True(File.Exists(parley), $"dotnet tool install put no `parley` command in {tools}");

        // The installed command is the one just packed, not an older Parley.
        var (version, _) = await DotnetProcess.CheckedAsync(parley, feed.Directory, Command, "--version");
        Assert.StartsWith(feed.Version, version.Trim(), StringComparison.Ordinal);

        var db = Path.Combine(feed.Directory, "x.db");
        await DotnetProcess.CheckedAsync(parley, feed.Directory, Command, "db", "migrate", "--db", $"sqlite:{db}");
        var (json, _) = await DotnetProcess.CheckedAsync(parley, feed.Directory, Command, "db", "status", "--json", "--db", $"sqlite:{db}");

        // What the tool reports is what the library these tests are built with reports through its public API: the
        // database at the head this Parley declares, nothing pending, no drift.
        var schema = LedgerSchema.For(new LedgerOptions { Database = $"sqlite:{db}" });
        var library = await schema.GetStatusAsync();
        Assert.Equal(LedgerSchema.Head, library.Head);
        Assert.Equal(library.Head, library.Version);
        Assert.True(library.IsUpToDate);
        Assert.Empty(await schema.VerifyAsync());
        using var status = JsonDocument.Parse(json);
        Assert.Equal(library.Head, status.RootElement.GetProperty("head").GetInt32());
        Assert.Equal(library.Version, status.RootElement.GetProperty("version").GetInt32());
        Assert.Equal(0, status.RootElement.GetProperty("pending").GetArrayLength());
    }

    private static XElement Nuspec(ZipArchive package)
    {
        var entry = package.Entries.Single(e => !e.FullName.Contains('/', StringComparison.Ordinal) && e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using var stream = entry.Open();
        return XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }
}
