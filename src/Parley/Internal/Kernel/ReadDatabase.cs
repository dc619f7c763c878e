using System.Data.Common;

namespace Parley.Internal.Kernel;

/// <summary>Where every read runs: pooled connections the engine opens (SQLite: read-only connections that WAL lets
/// run beside the writer), its <see cref="SqlFlavor"/>, one read-only transaction per multi-statement read so it sees
/// one snapshot, and the query helper. The queries themselves live with their feature (<c>SessionQueries</c>,
/// <c>MessageQueries</c>, <c>KeyQueries</c>, <c>SystemEventQueries</c>). Every read is asynchronous and honours its
/// cancellation token. A query's <c>scope</c> is the caller's tenant key (docs/security.md, "Tenants"), or null for a
/// caller not confined to one: then an id held by several tenants is refused, naming them.</summary>
internal sealed class ReadDatabase(Func<CancellationToken, Task<DbConnection>> open, SqlFlavor flavor, Action? clearPool = null)
{
    public SqlFlavor Flavor => flavor;

    /// <summary>Closes this database's pooled read connections (SQLite: so the file can be moved or deleted).</summary>
    public void ClearPool() => clearPool?.Invoke();

    public Task<DbConnection> OpenAsync(CancellationToken ct) => open(ct);

    /// <summary>Begins a read-only transaction on <paramref name="conn"/>; disposing it ends the transaction.</summary>
    public Task<ReadSnapshot> SnapshotAsync(DbConnection conn, CancellationToken ct) => ReadSnapshot.BeginAsync(conn, flavor, ct);

    /// <summary>Session ids as an <c>IN (…)</c> list of parameters <c>@s0</c>, <c>@s1</c> … and their values.</summary>
    public static (string List, (string, object?)[] Args) InList(List<string> ids) =>
        (string.Join(", ", ids.Select((_, i) => $"@s{i}")), [.. ids.Select((id, i) => ($"@s{i}", (object?)id))]);

    /// <summary>Runs a query and reads every row; arguments the SQL does not name are left out.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1068", Justification = "The query's arguments come last, as params.")]
    public async Task<List<T>> QueryRowsAsync<T>(DbConnection conn, CancellationToken ct, string sql, Func<DbDataReader, T> read,
        params (string Name, object? Value)[] args)
    {
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in args)
        {
            if (!sql.Contains(name, StringComparison.Ordinal)) continue;
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            flavor.Bind(p, value);
            cmd.Parameters.Add(p);
        }
        var list = new List<T>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add(read(r));
        return list;
    }

    /// <summary>A read transaction begun with plain SQL, so commands need no transaction object.</summary>
    public sealed class ReadSnapshot : IAsyncDisposable
    {
        private readonly DbConnection _conn;

        private ReadSnapshot(DbConnection conn) => _conn = conn;

        public static async Task<ReadSnapshot> BeginAsync(DbConnection conn, SqlFlavor flavor, CancellationToken ct)
        {
            var snapshot = new ReadSnapshot(conn);
            await snapshot.RunAsync(flavor.BeginSnapshot, ct);
            return snapshot;
        }

        // Not cancellable: a read that was cancelled still ends its transaction before the connection is pooled. A
        // read-only transaction that cannot end (its query was cancelled and the connection broken) holds nothing:
        // the pool resets or drops the connection, and the read's own error is the one the caller sees.
        public async ValueTask DisposeAsync()
        {
            try
            {
                await RunAsync("COMMIT", CancellationToken.None);
            }
            catch (Exception e) when (e is DbException or InvalidOperationException)
            {
            }
        }

        private async Task RunAsync(string sql, CancellationToken ct)
        {
            await using var cmd = _conn.CreateCommand();
            cmd.CommandText = sql;
            await cmd.ExecuteNonQueryAsync(ct);
        }
    }
}
