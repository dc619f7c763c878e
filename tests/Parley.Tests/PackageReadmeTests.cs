namespace Parley.Tests;

/// <summary>The Parley package's README shows the same quick start as the repository's README, which
/// <see cref="ReadmeQuickStartTests"/> compiles and runs; so the package page cannot show code that no longer works.</summary>
public class PackageReadmeTests
{
    [Fact]
    public void the_package_readme_quick_start_is_the_tested_one()
    {
        static string QuickStart(string path)
        {
            var text = File.ReadAllText(Path.Combine(ChildProcess.RepoRoot, path));
            var start = text.IndexOf("<!-- quickstart:begin -->", StringComparison.Ordinal);
            var end = text.IndexOf("<!-- quickstart:end -->", StringComparison.Ordinal);
            Assert.True(start >= 0 && end > start, $"{path} has no quickstart markers");
            return text[start..end];
        }

        Assert.Equal(QuickStart("README.md"), QuickStart("src/Parley/README.md"));
    }
}
