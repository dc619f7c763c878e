using Parley.Client;

namespace Parley.Tests;

/// <summary>Parley.Client with API keys on (docs/http-api.md, "Access"): the key it is given goes with every call; no
/// valid key is <see cref="ParleyAccessDeniedException"/> 401, a tenant key on a system route 403; a tenant key is
/// confined to its tenant, and an admin key names one with <see cref="ParleyClient.ForTenant"/>.</summary>
public class ClientKeyTests : IAsyncLifetime
{
    private ServerFixture _s = null!;
    private string _acme = null!, _globex = null!, _admin = null!;

    public async Task InitializeAsync()
    {
        _s = await ServerFixture.StartAsync();
        var secret = KeySecret.Load("sqlite:" + _s.DbPath);
        _acme = (await _s.Ledger.CreateApiKeyAsync("acme", null, secret)).Secret;
        _globex = (await _s.Ledger.CreateApiKeyAsync("globex", null, secret)).Secret;
        _admin = (await _s.Ledger.CreateApiKeyAsync(null, "ops", secret)).Secret;
    }

    public async Task DisposeAsync() => await _s.DisposeAsync();

    private ParleyClient As(string? key) => new(_s.Http, new ParleyClientOptions { ApiKey = key });

    [Fact]
    public async Task without_a_valid_key_every_call_is_access_denied_and_readiness_stays_open()
    {
        foreach (var key in new[] { null, "pk_nope_nope", _acme + "x" })
        {
            var denied = await Assert.ThrowsAsync<ParleyAccessDeniedException>(() => As(key).ListSessionsAsync());
            Assert.Equal(401, denied.StatusCode);
            Assert.Contains("401", denied.Message, StringComparison.Ordinal);
            // A read that answers null for an unknown id does not answer null for a refused caller.
            Assert.Equal(401, (await Assert.ThrowsAsync<ParleyAccessDeniedException>(() => As(key).GetSessionAsync("s"))).StatusCode);
        }
        Assert.True((await As(null).GetReadinessAsync()).IsReady);
    }

    [Fact]
    public async Task a_tenant_key_sees_its_tenant_and_an_admin_names_one_with_ForTenant()
    {
        var acme = As(_acme);
        var globex = As(_globex);
        var mine = await acme.CreateSessionAsync(new NewSession { Id = "shared-1", Title = "acme's", Tenant = "globex" });
        Assert.Equal("acme", mine.Session.Tenant); // a tenant key's sessions are its tenant's
        await acme.LogMessageAsync("shared-1", new NewMessage { Id = "m-1", SenderType = SenderType.Agent, Content = "acme words" });
        var theirs = await globex.CreateSessionAsync(new NewSession { Id = "shared-1", Title = "globex's" });
        Assert.True(theirs.Created); // the same id in another tenant is another session
        Assert.Equal("globex", theirs.Session.Tenant);
        Assert.Null(await globex.GetMessageAsync("m-1"));
        Assert.Equal(0, (await globex.GetSessionAsync("shared-1"))!.Summary.MessageCount);

        var admin = As(_admin);
        var ambiguous = await Assert.ThrowsAsync<ParleyConflictException>(() => admin.GetSessionAsync("shared-1"));
        Assert.Contains("several tenants", ambiguous.Message, StringComparison.Ordinal);
        var acmeView = admin.ForTenant("acme");
        Assert.Equal("acme", acmeView.Tenant);
        Assert.Equal("acme's", (await acmeView.GetSessionAsync("shared-1"))!.Title);
        Assert.Equal("acme words", (await acmeView.GetTranscriptAsync("shared-1")).Items.Single().Content);
        Assert.Equal("globex's", Assert.Single((await admin.ListSessionsAsync(new SessionQuery { Tenant = "globex" })).Items).Title);
        Assert.Equal("initech", (await admin.ForTenant("initech").CreateSessionAsync(new NewSession { Id = "i-1" })).Session.Tenant);
        Assert.Equal(3, (await admin.ListSessionsAsync()).Total);
        await Assert.ThrowsAsync<ArgumentException>(() => acmeView.ListSessionsAsync(new SessionQuery { Tenant = "globex" }));
    }

    [Fact]
    public async Task the_system_routes_need_an_admin_key()
    {
        var forbidden = await Assert.ThrowsAsync<ParleyAccessDeniedException>(() => As(_acme).GetSystemEventsAsync());
        Assert.Equal(403, forbidden.StatusCode);
        Assert.Contains(await As(_admin).GetSystemEventsAsync(), e => e.Event == "migration_applied");
    }
}
