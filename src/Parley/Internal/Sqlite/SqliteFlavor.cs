using Parley.Internal.Kernel;

namespace Parley.Internal.Sqlite;

/// <summary>SQLite's spellings for the shared stores: times as Parley's fixed-width UTC text (which sorts as time
/// does), flags as 0/1, <c>IS</c> for NULL-safe equality.</summary>
internal sealed class SqliteFlavor : SqlFlavor
{
    public static SqliteFlavor Instance { get; } = new();

    public override string BeginWrite => "BEGIN IMMEDIATE";
    public override string BeginSnapshot => "BEGIN";
    public override string ForUpdate => "";
    public override string NotIndexed(string column) => "+" + column;
    public override bool PrepareCommands => true;

    protected override string FacetConflict => "ON CONFLICT (session_id, tenant_key, facet, value) DO UPDATE SET n = parley_session_facets.n + excluded.n";

    protected override string Greatest => "MAX";

    public override string NullSafeEquals(string left, string right) => $"{left} IS {right}";

    protected override object Time(DateTimeOffset value) => Timestamps.ToText(value);
    protected override object Flag(bool value) => value ? 1L : 0L;
}
