using Parley.Internal.Kernel;
using Parley.PostgreSql;

namespace Parley;

/// <summary>The PostgreSQL engine for Parley (<c>postgres://</c> and <c>postgresql://</c> database URLs).</summary>
/// <example><code>
/// ParleyPostgreSql.Register();
/// await using var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = "postgres://parley:secret@db:5432/parley" });
/// </code></example>
public static class ParleyPostgreSql
{
    /// <summary>Makes <c>postgres://</c> URLs open with this package's engine, for every ledger of the process. Call it
    /// once at startup: without it Parley finds the engine by loading this assembly by name, which a trimmed or
    /// single-file app may not allow. Calling it again changes nothing.</summary>
    public static void Register() => LedgerEngine.Register("postgres", PostgresEngine.Instance);
}
