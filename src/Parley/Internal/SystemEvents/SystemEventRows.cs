using System.Data.Common;
using System.Text.Json.Nodes;
using Parley.Internal.Kernel;

namespace Parley.Internal.SystemEvents;

/// <summary>System events written outside the writer, on a maintenance connection (backup, restore, maintain).</summary>
internal static class SystemEventRows
{
    /// <summary>Records an <c>info</c> event of source <c>maintenance</c>.</summary>
    public static void Maintenance(DbConnection conn, SqlFlavor flavor, string name, JsonObject detail)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "INSERT INTO parley_system_events (level, source, event, detail, at) VALUES (@p0, @p1, @p2, @p3, @p4)";
        flavor.AddPositional(cmd.Parameters, cmd.CreateParameter, ["info", "maintenance", name, new JsonText(detail.ToJsonString()), Timestamps.Now(TimeProvider.System)]);
        cmd.ExecuteNonQuery();
    }
}
