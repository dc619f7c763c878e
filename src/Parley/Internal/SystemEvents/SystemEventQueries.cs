using Parley.Internal.Kernel;
using static Parley.Internal.Kernel.RowReaders;

namespace Parley.Internal.SystemEvents;

/// <summary>The read of system events (docs/http-api.md, "System"), newest first.</summary>
internal static class SystemEventQueries
{
    public static async Task<IReadOnlyList<SystemEvent>> SystemEventsAsync(this ReadDatabase db, SystemEventLevel? level, int limit, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        return await db.QueryRowsAsync(conn, ct,
            "SELECT id, level, source, event, detail, at FROM parley_system_events" + (level is null ? "" : " WHERE level = @level") +
            " ORDER BY id DESC LIMIT @limit",
            r => new SystemEvent
            {
                Id = r.GetInt64(0),
                Level = WireNames.Level(r.GetString(1)),
                Source = r.GetString(2),
                Event = r.GetString(3),
                Detail = Mapping.Json(r.IsDBNull(4) ? null : r.GetString(4)),
                At = TimeAt(r, 5),
            },
            ("@level", level is { } l ? WireNames.Of(l) : null), ("@limit", limit));
    }
}
