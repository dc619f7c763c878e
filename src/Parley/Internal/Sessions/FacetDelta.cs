namespace Parley.Internal.Sessions;

/// <summary>A change to one of a session's summary counts (status, channel or template).</summary>
internal readonly record struct FacetDelta(string TenantKey, string SessionId, string Facet, string Value, long Delta);
