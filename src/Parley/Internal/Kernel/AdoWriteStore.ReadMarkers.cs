using System.Globalization;
using Parley.Internal.Messages;
using static Parley.Internal.Kernel.RowReaders;

namespace Parley.Internal.Kernel;

// AdoWriteStore: the read-marker queries (IReadMarkerWrites).
internal abstract partial class AdoWriteStore
{
    public long? SeqOf(string tenantKey, string sessionId, string messageId)
    {
        Flush();
        var v = Cmd("SELECT session_seq FROM parley_messages WHERE tenant_key = @p2 AND id = @p0 AND session_id = @p1", messageId, sessionId, tenantKey).ExecuteScalar();
        return v is null or DBNull ? null : Convert.ToInt64(v, CultureInfo.InvariantCulture);
    }

    public List<MessageRow> MessagesBetween(string tenantKey, string sessionId, long after, long upTo)
    {
        Flush();
        return ReadAll(Cmd($"SELECT {MessageColumns} FROM parley_messages WHERE tenant_key = @p3 AND session_id = @p0 AND session_seq > @p1 AND session_seq <= @p2 " +
                           "ORDER BY session_seq", sessionId, after, upTo, tenantKey), r => Message(r));
    }

    public long CountUnread(string tenantKey, string sessionId, Reader reader, long after)
    {
        Flush();
        var sql = reader == Reader.Agent
            ? "SELECT count(*) FROM parley_messages WHERE tenant_key = @p2 AND session_id = @p0 AND session_seq > @p1 AND sender_type = 'user'"
            : "SELECT count(*) FROM parley_messages WHERE tenant_key = @p2 AND session_id = @p0 AND session_seq > @p1 AND sender_type <> 'user'";
        return Convert.ToInt64(Cmd(sql, sessionId, after, tenantKey).ExecuteScalar(), CultureInfo.InvariantCulture);
    }
}
