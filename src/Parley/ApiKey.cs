namespace Parley;

/// <summary>An API key as stored: never the key itself, only its id and a keyed hash.</summary>
/// <param name="Id">The public part, shown in lists and used to revoke.</param>
/// <param name="Tenant">The tenant the key is confined to; null for an admin key.</param>
/// <param name="Admin">Whether the key sees every tenant and the system routes.</param>
/// <param name="Name">A label for people.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="RevokedAt">When it was revoked, if it was.</param>
public sealed record ApiKey(string Id, string? Tenant, bool Admin, string? Name, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

/// <summary>A key just created: <see cref="Secret"/> is the only time the full key is ever available.</summary>
public sealed record NewApiKey(ApiKey Key, string Secret);
