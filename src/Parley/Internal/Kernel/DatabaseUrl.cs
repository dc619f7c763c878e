namespace Parley.Internal.Kernel;

/// <summary>A database named by URL (docs/cli.md, "Database URLs"): <c>sqlite:path</c>, <c>postgres://…</c>,
/// <c>mysql://…</c>.</summary>
internal sealed record DatabaseUrl(string Engine, string Target)
{
    public static DatabaseUrl Parse(string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
            throw new ArgumentException("the database URL is empty; use sqlite:path/to/file.db.", "database");
        if (url.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
        {
            var path = url["sqlite:".Length..];
            if (path.StartsWith("//", StringComparison.Ordinal)) path = path[2..];
            if (path.Length == 0)
                throw new ArgumentException("the SQLite URL names no file; use sqlite:path/to/file.db.", "database");
            return new DatabaseUrl("sqlite", path);
        }
        foreach (var engine in (string[])["postgres", "postgresql", "mysql", "mariadb"])
        {
            if (url.StartsWith(engine + "://", StringComparison.OrdinalIgnoreCase))
                return new DatabaseUrl(engine == "postgresql" ? "postgres" : engine == "mariadb" ? "mysql" : engine, url);
        }
        throw new ArgumentException($"'{Redact(url)}' is not a database URL Parley knows; use sqlite:path, postgres://user:pass@host:5432/db or mysql://user:pass@host:3306/db.", "database");
    }

    /// <summary>The URL with any password hidden, for messages and logs.</summary>
    public static string Redact(string url)
    {
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        var at = url.LastIndexOf('@');
        if (scheme < 0 || at < scheme) return url;
        var colon = url.IndexOf(':', scheme + 3);
        return colon > 0 && colon < at ? url[..(colon + 1)] + "***" + url[at..] : url;
    }

    public override string ToString() => Engine == "sqlite" ? $"sqlite:{Target}" : Redact(Target);
}
