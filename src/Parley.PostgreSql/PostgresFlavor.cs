using System.Data.Common;
using Npgsql;
using NpgsqlTypes;
using Parley.Internal.Kernel;

namespace Parley.PostgreSql;

/// <summary>PostgreSQL's spellings for the shared stores: <c>timestamptz</c> times, real booleans, <c>jsonb</c>
/// documents, row locks for the writer's reads, snapshots for multi-statement reads.</summary>
internal sealed class PostgresFlavor : SqlFlavor
{
    public static PostgresFlavor Instance { get; } = new();

    public override string BeginWrite => "BEGIN";

    /// <summary>A binary COPY: text as text, whole numbers as bigint (every rollup column is one or the other).</summary>
    public override void BulkInsert(System.Data.Common.DbConnection conn, string table, IReadOnlyList<string> columns, IEnumerable<object?[]> rows)
    {
        using var w = ((NpgsqlConnection)conn).BeginBinaryImport($"COPY {table} ({string.Join(", ", columns)}) FROM STDIN (FORMAT BINARY)");
        foreach (var row in rows)
        {
            w.StartRow();
            foreach (var value in row)
            {
                if (value is string s) w.Write(s, NpgsqlTypes.NpgsqlDbType.Text);
                else w.Write(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture), NpgsqlTypes.NpgsqlDbType.Bigint);
            }
        }
        w.Complete();
    }
    public override string BeginSnapshot => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
    public override string ForUpdate => " FOR UPDATE";

    protected override string FacetConflict => "ON CONFLICT (session_id, tenant_key, facet, value) DO UPDATE SET n = parley_session_facets.n + excluded.n";

    public override string NullSafeEquals(string left, string right) => $"{left} IS NOT DISTINCT FROM {right}";

    public override void Bind(DbParameter parameter, object? value)
    {
        if (value is JsonText json)
        {
            var p = (NpgsqlParameter)parameter;
            p.NpgsqlDbType = NpgsqlDbType.Jsonb;
            p.Value = (object?)json.Value ?? DBNull.Value;
            return;
        }
        base.Bind(parameter, value);
    }

    protected override object Time(DateTimeOffset value) => value.UtcDateTime;
    protected override object Flag(bool value) => value;
}
