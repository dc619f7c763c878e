using System.Text.RegularExpressions;
using Parley.Internal.Kernel;

namespace Parley.Tests;

/// <summary>How engines are found (docs/hosting.md, "Engines"), and that engine differences stay in the engine
/// folders (docs/architecture.md, "The one place per engine").</summary>
public partial class EngineRegistrationTests
{
    [Fact]
    public void a_registered_engine_opens_its_urls_and_registering_again_changes_nothing()
    {
        ParleyPostgreSql.Register();
        ParleyMySql.Register();
        var postgres = LedgerEngine.For(DatabaseUrl.Parse("postgresql://u:p@127.0.0.1:5432/db"));
        var mysql = LedgerEngine.For(DatabaseUrl.Parse("mariadb://u:p@127.0.0.1:3306/db"));
        Assert.Same(Parley.PostgreSql.PostgresEngine.Instance, postgres);
        Assert.Same(Parley.MySql.MySqlEngine.Instance, mysql);

        ParleyPostgreSql.Register();
        Assert.Same(postgres, LedgerEngine.For(DatabaseUrl.Parse("postgres://other@127.0.0.1/x")));
        Assert.Contains(LedgerEngine.All, e => ReferenceEquals(e, Parley.Internal.Sqlite.SqliteEngine.Instance));
    }

    [Fact]
    public void an_unknown_url_is_refused_naming_what_parley_knows()
    {
        var e = Assert.Throws<ArgumentException>(() => DatabaseUrl.Parse("oracle://u:secret@db/x"));
        Assert.Equal("database", e.ParamName);
        Assert.Contains("postgres://", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Outside the engine folders (and the URL parser and the engine registry, which name each kind once), no
    /// code compares against an engine's name: an engine difference is a hook of <c>LedgerEngine</c>, a
    /// <c>SqlFlavor</c> or an <c>ISchemaEngine</c>.</summary>
    [Fact]
    public void no_code_outside_the_engine_folders_branches_on_the_engine_kind()
    {
        var src = Path.Combine(ChildProcess.RepoRoot, "src");
        string[] allowed =
        [
            "Parley/Internal/Sqlite/", "Parley.PostgreSql/", "Parley.MySql/",
            "Parley/Internal/Kernel/DatabaseUrl.cs", "Parley/Internal/Kernel/LedgerEngine.cs",
        ];
        var offenders = new List<string>();
        foreach (var file in Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(src, file).Replace('\\', '/');
            if (relative.Contains("/obj/", StringComparison.Ordinal) || relative.Contains("/bin/", StringComparison.Ordinal)) continue;
            if (allowed.Any(a => relative.StartsWith(a, StringComparison.Ordinal))) continue;
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
                if (EngineComparison().IsMatch(lines[i])) offenders.Add($"{relative}:{i + 1}: {lines[i].Trim()}");
        }
        Assert.True(offenders.Count == 0, "engine kinds compared outside the engine folders:\n" + string.Join("\n", offenders));
    }

    // `== "sqlite"`, `is "mysql"`, `case "postgres":`, `"mysql" =>` and the like.
    [GeneratedRegex("""(==|!=|\bis|\bcase)\s*"(sqlite|postgres|postgresql|mysql|mariadb)"|"(sqlite|postgres|postgresql|mysql|mariadb)"\s*(=>|==|!=)""")]
    private static partial Regex EngineComparison();
}
