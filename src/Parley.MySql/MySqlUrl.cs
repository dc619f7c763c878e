using MySqlConnector;

namespace Parley.MySql;

/// <summary>Turns <c>mysql://user:pass@host:3306/db?SslMode=Required</c> into a MySqlConnector connection string.</summary>
internal static class MySqlUrl
{
    public static MySqlConnectionStringBuilder Parse(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
            throw new ArgumentException($"'{Internal.Kernel.DatabaseUrl.Redact(url)}' is not a valid mysql:// URL; use mysql://user:pass@host:3306/db.", "database");
        var b = new MySqlConnectionStringBuilder
        {
            Server = uri.Host,
            Port = (uint)(uri.IsDefaultPort || uri.Port < 0 ? 3306 : uri.Port),
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')),
            // Parley begins transactions with SQL, so commands need not name one; times are UTC both ways.
            IgnoreCommandTransaction = true,
            DateTimeKind = MySqlDateTimeKind.Utc,
            ApplicationName = $"parley pid {Environment.ProcessId} on {Environment.MachineName}",
            CharacterSet = "utf8mb4",
        };
        var userInfo = uri.UserInfo.Split(':', 2);
        if (userInfo[0].Length > 0) b.UserID = Uri.UnescapeDataString(userInfo[0]);
        if (userInfo.Length > 1) b.Password = Uri.UnescapeDataString(userInfo[1]);
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(kv[0]);
            try
            {
                b[key] = kv.Length > 1 ? Uri.UnescapeDataString(kv[1]) : "";
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"the mysql URL option '{key}' is not understood ({e.Message}).", "database", e);
            }
        }
        return b;
    }
}
