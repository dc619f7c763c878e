using Parley.Internal.Kernel;
using Parley.MySql;

namespace Parley;

/// <summary>The MySQL/MariaDB engine for Parley (<c>mysql://</c> and <c>mariadb://</c> database URLs).</summary>
/// <example><code>
/// ParleyMySql.Register();
/// await using var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = "mysql://parley:secret@db:3306/parley" });
/// </code></example>
public static class ParleyMySql
{
    /// <summary>Makes <c>mysql://</c> URLs open with this package's engine, for every ledger of the process. Call it
    /// once at startup: without it Parley finds the engine by loading this assembly by name, which a trimmed or
    /// single-file app may not allow. Calling it again changes nothing.</summary>
    public static void Register() => LedgerEngine.Register("mysql", MySqlEngine.Instance);
}
