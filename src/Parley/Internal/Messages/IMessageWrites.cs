namespace Parley.Internal.Messages;

/// <summary>What the writer reads and writes of messages, inside its transaction (<see cref="Kernel.WriteStore.Messages"/>).
/// Engines take over the inserts and delivery updates, the statements every write runs.</summary>
internal interface IMessageWrites
{
    MessageRow? FindMessage(string tenantKey, string id);
    /// <summary>Every tenant's message with this id (for a caller not confined to one tenant).</summary>
    List<MessageRow> FindMessagesNamed(string id);
    MessageRow? FindMessageByKey(string tenantKey, string sessionId, string idempotencyKey);
    /// <summary>Messages carrying a provider id, on one channel or (null) on any, in one tenant or (null) in any.</summary>
    List<MessageRow> FindMessagesByProvider(string? tenantKey, string providerMessageId, string? channel);

    /// <summary>Says which messages a batch of reports is about, so that an engine for which each read is a round
    /// trip can load them (and their events) at once. The finds that follow must answer exactly as without it.</summary>
    void Prefetch(IReadOnlyCollection<string> messageIds, IReadOnlyCollection<string> providerIds);
    void InsertMessage(MessageRow message);
    /// <summary>Writes the delivery state, provider id and <c>updated_at</c>.</summary>
    void UpdateDelivery(MessageRow message);
}
