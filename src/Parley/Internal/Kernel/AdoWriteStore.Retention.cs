using System.Globalization;
using Parley.Internal.Messages;
using static Parley.Internal.Kernel.RowReaders;

namespace Parley.Internal.Kernel;

// AdoWriteStore: the retention statements (IRetentionWrites).
internal abstract partial class AdoWriteStore
{
    public List<MessageRow> OldestBefore(DateTimeOffset cutoff, int limit)
    {
        Flush();
        return ReadAll(Cmd($"SELECT {MessageColumns} FROM parley_messages WHERE created_at < @p0 ORDER BY created_at, row_id LIMIT @p1{flavor.ForUpdate}", cutoff, limit),
            r => Message(r));
    }

    public long CountBefore(DateTimeOffset cutoff)
    {
        Flush();
        return Convert.ToInt64(Cmd("SELECT count(*) FROM parley_messages WHERE created_at < @p0", cutoff).ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    public void DeleteMessage(string tenantKey, string id)
    {
        _cached.GetValueOrDefault(id)?.RemoveAll(m => m.TenantKey == tenantKey);
        Defer("DELETE FROM parley_messages WHERE tenant_key = @p1 AND id = @p0", id, tenantKey);
    }

    public DateTimeOffset? FirstCreatedFrom(string tenantKey, string sessionId, DateTimeOffset from)
    {
        Flush();
        using var r = Cmd($"SELECT created_at FROM parley_messages{flavor.ByCreatedIndex} WHERE created_at >= @p1 AND {flavor.NotIndexed("session_id")} = @p0 " +
                          $"AND {flavor.NotIndexed("tenant_key")} = @p2 ORDER BY created_at LIMIT 1",
            sessionId, from, tenantKey).ExecuteReader();
        return r.Read() ? Time(r, 0) : null;
    }
}
