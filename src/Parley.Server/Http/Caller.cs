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
    /// refuses a session that does not exist.</summary>
    public async Task<bool> MayUse(Ledger ledger, string sessionId) => Tenant is null || await Session(ledger, sessionId) is not null;

    /// <summary>Whether the caller may report on the message (same rule).</summary>
    public async Task<bool> MayReport(Ledger ledger, string messageId) => Tenant is null || await Message(ledger, messageId) is not null;

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
