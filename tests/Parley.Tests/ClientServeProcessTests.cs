using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Parley.Client;

namespace Parley.Tests;

/// <summary>Parley.Client as an application registers it, <c>services.AddParleyClient(baseUrl, key)</c>, against
/// <c>parley serve</c> running as its own process.</summary>
public class ClientServeProcessTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("parley-client-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private static ServiceProvider Services(Uri server, string? key)
    {
        var services = new ServiceCollection();
        services.AddParleyClient(server, key);
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task a_client_registered_with_AddParleyClient_works_against_parley_serve()
    {
        var url = "sqlite:" + Path.Combine(_dir, "parley.db");
        string key;
        await using (var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = url }))
            key = (await ledger.CreateApiKeyAsync("acme", "client", KeySecret.Load(url))).Secret;
        SqliteConnection.ClearAllPools();

        var port = ChildProcess.FreePort();
        var address = new Uri($"http://127.0.0.1:{port}");
        using var server = ChildProcess.Start(ChildProcess.Cli, "serve", "--db", url, "--urls", address.ToString().TrimEnd('/'));
        try
        {
            (await ChildProcess.WaitUntilReadyAsync(server, port)).Dispose();
            await using (var withKey = Services(address, key))
            {
                var parley = withKey.GetRequiredService<ParleyClient>();
                Assert.Equal(address, parley.BaseAddress);
                var created = await parley.CreateSessionAsync(new NewSession { Id = "support-7", Kind = "live_agent" });
                Assert.True(created.Created);
                Assert.Equal("acme", created.Session.Tenant);
                var logged = await parley.LogMessageAsync("support-7", new NewMessage { SenderType = SenderType.User, Content = "where is my order?" });
                Assert.Equal(MessageStatus.Delivered, logged.Message.Status);
                Assert.Equal("where is my order?", Assert.Single((await parley.GetTranscriptAsync("support-7")).Items).Content);
                Assert.True((await parley.GetReadinessAsync()).IsReady);
            }
            await using (var keyless = Services(address, null))
            {
                var denied = await Assert.ThrowsAsync<ParleyAccessDeniedException>(() => keyless.GetRequiredService<ParleyClient>().GetSessionAsync("support-7"));
                Assert.Equal(401, denied.StatusCode);
            }
        }
        finally
        {
            if (!server.HasExited) server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }

        // What the server acknowledged is in its database.
        await using var stored = await Ledger.OpenAsync(new LedgerOptions { Database = url, Spool = false });
        Assert.Equal(1, (await stored.GetSessionAsync("support-7"))!.Summary.MessageCount);
    }
}
