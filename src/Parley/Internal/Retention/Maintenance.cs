using Parley.Internal.Kernel;
using Parley.Internal.SystemEvents;

namespace Parley.Internal.Retention;

/// <summary><c>parley maintain</c> (docs/cli.md, "maintain, cleanup"): the engine's statements that refresh the
/// planner's statistics and tidy storage (<see cref="LedgerEngine.MaintenanceSql"/>), then a system event.</summary>
internal static class Maintenance
{
    /// <summary>Runs them; returns what ran.</summary>
    public static List<string> Run(DatabaseUrl url)
    {
        var engine = LedgerEngine.For(url);
        using var conn = engine.Connect(url);
        var ran = new List<string>();
        foreach (var sql in engine.MaintenanceSql)
        {
            using var cmd = conn.CreateCommand();
            cmd.CommandText = sql;
            cmd.CommandTimeout = 0;
            using (var r = cmd.ExecuteReader()) while (r.Read()) { }
            ran.Add(sql);
        }
        SystemEventRows.Maintenance(conn, engine.Flavor, "maintenance", new System.Text.Json.Nodes.JsonObject { ["ran"] = new System.Text.Json.Nodes.JsonArray([.. ran.Select(s => (System.Text.Json.Nodes.JsonNode)s)]) });
        return ran;
    }
}
