using Microsoft.AspNetCore.Http;

namespace Parley.AspNetCore.Http;

/// <summary>Who is calling: with API keys on, a tenant key sees only its tenant (docs/http-api.md, "Access");
/// without keys, or with an admin key, every tenant.</summary>
internal sealed record Caller(string? Tenant)
{
    public static Caller Everyone { get; } = new((string?)null);

    /// <summary>The ledger as this caller sees it (docs/security.md, "Tenants"). A tenant key's is confined to its
    /// tenant, so another tenant's ids are unknown to it (404, never 403) and its own ids are its own namespace. An
    /// admin key, or a server without keys, sees every tenant; <c>?tenant=T</c> confines a request to T, which names
    /// T's object when the same id exists in several tenants (without it, such an id is a 409 naming them).</summary>
    public Ledger View(Ledger ledger, HttpRequest request)
    {
        if (Tenant is not null) return ledger.ForTenant(Tenant);
        return new QueryArgs(request.Query).String("tenant") is { } named ? ledger.ForTenant(named) : ledger;
    }
}

internal static class CallerExtensions
{
    public static Caller Caller(this HttpContext context) =>
        context.Items.TryGetValue(typeof(Caller), out var caller) && caller is Caller c ? c : Http.Caller.Everyone;

    /// <summary>The ledger as the caller of this request sees it (<see cref="Http.Caller.View"/>).</summary>
    public static Ledger LedgerFor(this HttpContext context, Ledger ledger) => context.Caller().View(ledger, context.Request);
}
