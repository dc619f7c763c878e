using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Parley.AspNetCore;

namespace Parley.Tests;

/// <summary>Parley's server on Kestrel, on a free loopback port, over a fresh database on any engine; real HTTP. Started
/// <c>throughContract</c>, <see cref="Http"/> goes through Prism's validation proxy and fails any call off the OpenAPI
/// document (<see cref="Contract"/>); <see cref="Direct"/> always reaches the server itself.</summary>
public sealed class ServerFixture : IAsyncDisposable
{
    private readonly WebApplication _app;
    private ContractProxy? _proxy;

    private ServerFixture(WebApplication app, string engine, string dir, string url, Uri address)
    {
        _app = app;
        Engine = engine;
        Url = url;
        Directory = dir;
        Direct = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        Http = Direct;
    }

    public string Engine { get; }
    public string Url { get; }
    public string Directory { get; }
    public string DbPath => Path.Combine(Directory, "parley.db");
    public HttpClient Http { get; private set; }
    public HttpClient Direct { get; }
    public Ledger Ledger => _app.Services.GetRequiredService<Ledger>();
    public IServiceProvider Services => _app.Services;

    public static Task<ServerFixture> StartAsync(string engine = TestDatabases.Sqlite) => StartAsync(engine, null);

    /// <summary>Starts with <see cref="Http"/> going through Prism's validation proxy (<see cref="Contract"/>).</summary>
    public static Task<ServerFixture> StartThroughContractAsync(string engine = TestDatabases.Sqlite, Func<ServerOptions, ServerOptions>? configure = null) =>
        StartAsync(engine, configure, throughContract: true);

    /// <summary>Starts with options changed first (a test clock, a log sink).</summary>
    public static Task<ServerFixture> StartAsync(string engine, Func<ServerOptions, ServerOptions>? configure) => StartAsync(engine, configure, throughContract: false);

    private static async Task<ServerFixture> StartAsync(string engine, Func<ServerOptions, ServerOptions>? configure, bool throughContract)
    {
        var dir = System.IO.Directory.CreateTempSubdirectory("parley-server-").FullName;
        var url = TestDatabases.Create(engine, dir);
        var options = new ServerOptions { Database = url, Urls = "http://127.0.0.1:0" };
        var app = await ParleyServer.BuildAsync(configure?.Invoke(options) ?? options);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var fixture = new ServerFixture(app, engine, dir, url, new Uri(address));
        if (throughContract)
        {
            var document = JsonNode.Parse(await fixture.Direct.GetStringAsync("/openapi/v1.json"))!.AsObject();
            var file = Path.Combine(dir, "openapi.strict.json");
            await File.WriteAllTextAsync(file, Contract.Strict(document).ToJsonString());
            fixture._proxy = await ContractProxy.StartAsync(file, new Uri(address));
            fixture.Http = new HttpClient(new ContractCheck(new SocketsHttpHandler())) { BaseAddress = fixture._proxy.Address, Timeout = TimeSpan.FromSeconds(30) };
        }
        return fixture;
    }

    public Task<HttpResponseMessage> PostJson(string path, string json) =>
        Http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    public async Task<(HttpResponseMessage Response, JsonNode? Body)> Send(HttpMethod method, string path, string? json = null, string? key = null, bool offContract = false)
    {
        using var request = new HttpRequestMessage(method, path);
        if (offContract) request.Options.Set(Contract.OffContract, true);
        if (key is not null) request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    public long Scalar(string sql)
    {
        using var conn = TestDatabases.Open(Url);
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        if (Http != Direct) Http.Dispose();
        Direct.Dispose();
        if (_proxy is not null) await _proxy.DisposeAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        SqliteConnection.ClearAllPools();
        TestDatabases.Drop(Engine, Url);
        try { System.IO.Directory.Delete(Directory, true); } catch (IOException) { }
    }
}
