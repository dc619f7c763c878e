using Parley.Internal.Kernel;

namespace Parley.MySql;

/// <summary>MySQL/MariaDB spellings for the shared stores: <c>DATETIME(3)</c> times in UTC, <c>TINYINT(1)</c>
/// flags, <c>&lt;=&gt;</c> for NULL-safe equality, <c>ON DUPLICATE KEY UPDATE</c> for the facet upsert.</summary>
internal sealed class MySqlFlavor : SqlFlavor
{
    public static MySqlFlavor Instance { get; } = new();

    public override string BeginWrite => "START TRANSACTION";
    public override string BeginSnapshot => "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY";
    public override string ForUpdate => " FOR UPDATE";
    public override string ByCreatedIndex => " FORCE INDEX (ix_parley_messages_created)";

    protected override string FacetConflict => "ON DUPLICATE KEY UPDATE n = n + VALUES(n)";

    protected override string AddOnConflict(string table, string keys, IReadOnlyList<string> sums, string? max) =>
        "ON DUPLICATE KEY UPDATE " + string.Join(", ", sums.Select(c => $"{c} = {c} + VALUES({c})")) +
        (max is null ? "" : $", {max} = GREATEST({max}, VALUES({max}))");

    public override string InsertOrKeep(string table, string columns, string values, string keys) =>
        $"INSERT INTO {table} ({columns}) VALUES ({values}) ON DUPLICATE KEY UPDATE {keys.Split(',')[0].Trim()} = {keys.Split(',')[0].Trim()}";

    public override string NullSafeEquals(string left, string right) => $"{left} <=> {right}";

    protected override object Time(DateTimeOffset value) => value.UtcDateTime;
    protected override object Flag(bool value) => value;
}
