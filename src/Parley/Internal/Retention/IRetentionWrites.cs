using Parley.Internal.Messages;

namespace Parley.Internal.Retention;

/// <summary>What retention reads and deletes, inside the writer's transaction (<see cref="Kernel.WriteStore.Retention"/>).</summary>
internal interface IRetentionWrites
{
    /// <summary>Up to <paramref name="limit"/> of the oldest messages created before <paramref name="cutoff"/>.</summary>
    List<MessageRow> OldestBefore(DateTimeOffset cutoff, int limit);
    long CountBefore(DateTimeOffset cutoff);
    /// <summary>Deletes a message; its events go with it (the foreign key cascades).</summary>
    void DeleteMessage(string tenantKey, string id);
    /// <summary>The earliest <c>created_at</c> at or after <paramref name="from"/> of a session's messages, or null.
    /// Retention's question: found through the <c>created_at</c> index, never by scanning the session.</summary>
    DateTimeOffset? FirstCreatedFrom(string tenantKey, string sessionId, DateTimeOffset from);
}
