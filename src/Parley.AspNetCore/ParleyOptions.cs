namespace Parley.AspNetCore;

/// <summary>How <see cref="ParleyServiceCollectionExtensions.AddParley(Microsoft.Extensions.DependencyInjection.IServiceCollection, Action{ParleyOptions})"/>
/// runs Parley inside an ASP.NET Core app (docs/hosting.md). Bound from the configuration section <c>Parley</c>
/// (for example <c>"Parley": { "Database": "postgres://…", "Schema": "Verify" }</c>), then from the code's own
/// <c>configure</c>.</summary>
public sealed class ParleyOptions
{
    /// <summary>The configuration section the options are read from.</summary>
    public const string Section = "Parley";

    /// <summary>The database URL (docs/cli.md, "Database URLs"); default <c>sqlite:parley.db</c>.</summary>
    public string Database { get; set; } = "sqlite:parley.db";

    /// <summary>What the host does with the schema when it starts: migrate under the lock then verify (default),
    /// verify only, or nothing. A refused schema stops the host from starting.</summary>
    public SchemaStartupMode Schema { get; set; } = SchemaStartupMode.Migrate;

    /// <summary>Whether writes the database cannot take go to the spool (default true; docs/reliability.md).</summary>
    public bool Spool { get; set; } = true;

    /// <summary>The spool file; null for the default (beside a SQLite file, or <c>parley-{database}.spool</c> in the
    /// working directory).</summary>
    public string? SpoolPath { get; set; }

    /// <summary>The most the spool may hold (default 1 GiB).</summary>
    public long SpoolMaxBytes { get; set; } = 1L << 30;

    /// <summary>How often maintenance runs (statistics, and <see cref="Retention"/> when set); null: never. Default 24 h.</summary>
    public TimeSpan? MaintainEvery { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Messages older than this are deleted at each maintenance run; null (default): kept.</summary>
    public TimeSpan? Retention { get; set; }

    /// <summary>An authorization policy of the host that stands in for Parley's API keys: every <c>/api/v1</c> route
    /// requires it, and Parley's Bearer keys are not consulted. The caller's tenant is the value of the
    /// <see cref="TenantClaim"/> claim; a caller without it sees every tenant and the system routes. Null (default):
    /// Parley's own API keys (docs/http-api.md, "Access").</summary>
    public string? AuthorizationPolicy { get; set; }

    /// <summary>With <see cref="AuthorizationPolicy"/>: the claim that confines a caller to one tenant (default
    /// <c>parley_tenant</c>).</summary>
    public string TenantClaim { get; set; } = "parley_tenant";

    /// <summary>With Parley's API keys: demand a key on every <c>/api/v1</c> route even before one exists (what
    /// <c>parley serve</c> does beyond loopback). Default false: keys are demanded once any key exists.</summary>
    public bool RequireApiKeys { get; set; }

    /// <summary>The secret API key hashes are keyed with; null (default) for <see cref="Parley.KeySecret.TryLoad"/>
    /// of <see cref="Database"/> (<c>PARLEY_KEY_SECRET</c>, or a file beside a SQLite database).</summary>
    public byte[]? KeySecret { get; set; }

    /// <summary>Answer only to loopback host names while no API key exists (DNS rebinding; docs/security.md, HTTP): what
    /// <c>parley serve</c> does when it listens on loopback only. Default false: the host decides which names it answers.</summary>
    public bool LoopbackHostsOnly { get; set; }
}
