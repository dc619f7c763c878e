using Parley.Internal.Messages;

namespace Parley.Internal.ReadMarkers;

/// <summary>What moving a read marker reads, inside the writer's transaction (<see cref="Kernel.WriteStore.ReadMarkers"/>).</summary>
internal interface IReadMarkerWrites
{
    long? SeqOf(string tenantKey, string sessionId, string messageId);
    /// <summary>The session's messages with <c>after &lt; seq &lt;= upTo</c>, in order.</summary>
    List<MessageRow> MessagesBetween(string tenantKey, string sessionId, long after, long upTo);
    /// <summary>Messages past <paramref name="after"/> that <paramref name="reader"/> reads.</summary>
    long CountUnread(string tenantKey, string sessionId, Reader reader, long after);
}
