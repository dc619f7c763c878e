namespace Parley.Client;

/// <summary>What <c>/health/ready</c> says (docs/http-api.md, "Health, metrics, OpenAPI"): whether the server can read
/// and write its database now.</summary>
public sealed record ParleyReadiness
{
    /// <summary>The server answered 200: the database answers and no write waits in the spool.</summary>
    public bool IsReady => Status == "ready";

    /// <summary><c>ready</c> or <c>unavailable</c>.</summary>
    public required string Status { get; init; }

    /// <summary><c>reachable</c>, <c>reachable; replaying N spooled writes</c> or <c>unreachable: …</c> (the error
    /// text only for an admin key once keys are on).</summary>
    public required string Database { get; init; }

    /// <summary>False when the server started with <c>--schema off</c>.</summary>
    public bool SchemaVerified { get; init; }

    /// <summary>The database's schema version (-1 with <c>--schema off</c>).</summary>
    public int SchemaVersion { get; init; }

    /// <summary>Write calls waiting for the server's writer.</summary>
    public long WriterQueue { get; init; }

    /// <summary>The spool, or null when the server runs without one.</summary>
    public ParleySpoolReadiness? Spool { get; init; }
}
