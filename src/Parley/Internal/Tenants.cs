namespace Parley.Internal;

/// <summary>Ids are a namespace per tenant (docs/security.md, "Tenants"): what a caller not confined to one tenant is
/// told when the id it gave is held by several.</summary>
internal static class Tenants
{
    /// <summary>The conflict for an id that several tenants hold, naming them (<c>''</c> is "no tenant").</summary>
    public static ParleyConflictException Ambiguous(string what, string id, IEnumerable<string> tenantKeys) =>
        new($"{what} id '{id}' exists in several tenants ({string.Join(", ", tenantKeys.Select(t => t.Length == 0 ? "no tenant" : $"'{t}'"))}); name the tenant.");
}
