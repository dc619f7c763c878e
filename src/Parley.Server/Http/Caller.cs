using Microsoft.AspNetCore.Http;

namespace Parley.Server.Http;

/// <summary>Who is calling: with API keys on, a tenant key sees only its tenant (SPEC 7.4); without keys, or with
/// an admin key, everything.</summary>
internal sealed record Caller(string? Tenant)
{
    public static Caller Everyone { get; } = new((string?)null);

    /// <summary>The tenant a new session gets: the key's, whatever the body said.</summary>
    public string? TenantFor(string? requested) => Tenant ?? requested;

    /// <summary>The session if this caller may see it; another tenant's session is "not found", never "forbidden".</summary>
    public async Task<Session?> Session(Ledger ledger, string id)
    {
        var session = await ledger.GetSessionAsync(id);
        return session is not null && (Tenant is null || session.Tenant == Tenant) ? session : null;
    }

    /// <summary>Whether the caller may write to the session. Without a tenant this costs nothing: the ledger itself
    /// refuses a session that does not exist. The tenant of each session checked is remembered, and used only when
    /// the database cannot be read: a tenant's writes to a session it used before are still accepted (spooled)
    /// during an outage.</summary>
    public async Task<bool> MayUse(Ledger ledger, string sessionId)
    {
        if (Tenant is null) return true;
        var owners = OwnersOf(ledger);
        Session? session;
        try
        {
            session = await ledger.GetSessionAsync(sessionId);
        }
        catch (ParleyUnavailableException) when (owners.ContainsKey("s:" + sessionId))
        {
            return owners["s:" + sessionId] == Tenant;
        }
        if (session is not null) Remember(owners, "s:" + sessionId, session.Tenant);
        return session is not null && session.Tenant == Tenant;
    }

    /// <summary>Whether the caller may report on the message (same rule).</summary>
    public async Task<bool> MayReport(Ledger ledger, string messageId)
    {
        if (Tenant is null) return true;
        var owners = OwnersOf(ledger);
        Message? message;
        try
        {
            message = await ledger.GetMessageAsync(messageId);
        }
        catch (ParleyUnavailableException) when (owners.ContainsKey("m:" + messageId))
        {
            return owners["m:" + messageId] == Tenant;
        }
        if (message is null) return false;
        var session = await ledger.GetSessionAsync(message.SessionId);
        if (session is not null) Remember(owners, "m:" + messageId, session.Tenant);
        return session is not null && session.Tenant == Tenant;
    }

    // The tenant of each session and message seen, per ledger (one per server).
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Ledger, System.Collections.Concurrent.ConcurrentDictionary<string, string?>> Owners = [];

    private static System.Collections.Concurrent.ConcurrentDictionary<string, string?> OwnersOf(Ledger ledger) =>
        Owners.GetValue(ledger, _ => new(StringComparer.Ordinal));

    private static void Remember(System.Collections.Concurrent.ConcurrentDictionary<string, string?> owners, string key, string? tenant)
    {
        if (owners.Count > 100_000) owners.Clear();
        owners[key] = tenant;
    }

    /// <summary>The message if this caller may see it.</summary>
    public async Task<Message?> Message(Ledger ledger, string id)
    {
        var message = await ledger.GetMessageAsync(id);
        if (message is null || Tenant is null) return message;
        return await Session(ledger, message.SessionId) is null ? null : message;
    }
}

internal static class CallerExtensions
{
    public static Caller Caller(this HttpContext context) =>
        context.Items.TryGetValue(typeof(Caller), out var caller) && caller is Caller c ? c : Http.Caller.Everyone;
}
