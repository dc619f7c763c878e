using Npgsql;

namespace Parley.PostgreSql;

/// <summary>Turns <c>postgres://user:pass@host:5432/db?sslmode=require</c> into an Npgsql connection string.</summary>
internal static class PostgresUrl
{
    public static NpgsqlConnectionStringBuilder Parse(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
            throw new ArgumentException($"'{Internal.Kernel.DatabaseUrl.Redact(url)}' is not a valid postgres:// URL; use postgres://user:pass@host:5432/db.", "database");
        var b = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')) is { Length: > 0 } db ? db : "postgres",
            ApplicationName = $"parley pid {Environment.ProcessId} on {Environment.MachineName}",
        };
        var userInfo = uri.UserInfo.Split(':', 2);
        if (userInfo[0].Length > 0) b.Username = Uri.UnescapeDataString(userInfo[0]);
        if (userInfo.Length > 1) b.Password = Uri.UnescapeDataString(userInfo[1]);
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(kv[0]);
            var value = kv.Length > 1 ? Uri.UnescapeDataString(kv[1]) : "";
            try
            {
                b[key.Equals("sslmode", StringComparison.OrdinalIgnoreCase) ? "SSL Mode" : key] = value;
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"the postgres URL option '{key}' is not understood ({e.Message}).", "database", e);
            }
        }
        return b;
    }
}
