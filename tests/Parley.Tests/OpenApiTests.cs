using Microsoft.Extensions.DependencyInjection;

namespace Parley.Tests;

/// <summary>/openapi/v1.json, checked by an OpenAPI validator from npm (tests/openapi) against the specification's
/// own schema, and for the routes the server maps.</summary>
public class OpenApiTests : IAsyncLifetime
{
    private ServerFixture _s = null!;
    public async Task InitializeAsync() => _s = await ServerFixture.StartAsync();
    public async Task DisposeAsync() => await _s.DisposeAsync();

    [Fact]
    public async Task the_openapi_document_is_valid_and_describes_every_route()
    {
        await Contract.EnsureToolsAsync();
        var tools = Contract.Tools;
        var file = Path.Combine(_s.Directory, "openapi.json");
        var json = await _s.Http.GetStringAsync("/openapi/v1.json");
        await File.WriteAllTextAsync(file, json);
        var (exit, output, error) = await DotnetProcess.RunAsync("node", tools, TimeSpan.FromMinutes(2), "validate.mjs", file);
        Assert.True(exit == 0, output + error);

        var doc = System.Text.Json.Nodes.JsonNode.Parse(json)!;
        // The document and the server name the same routes: every route the app maps is described, and nothing else.
        var mapped = _s.Services.GetRequiredService<Microsoft.AspNetCore.Routing.EndpointDataSource>().Endpoints
            .OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => $"{m.ToLowerInvariant()} /{e.RoutePattern.RawText!.Trim('/')}"))
            .Where(r => r != "get /")  // the start page of `parley serve`, HTML for people
            .Order().ToList();
        var described = doc["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject().Where(o => o.Key != "parameters").Select(o => $"{o.Key} {p.Key}")).Order().ToList();
        Assert.Equal(mapped, described);
        // Every operation has an operationId, unique.
        var ids = doc["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject().Where(o => o.Key != "parameters").Select(o => (string?)o.Value!["operationId"])).ToList();
        Assert.DoesNotContain(null, ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        // Every write that may be spooled says so: its 202 body is the usual one plus "spooled".
        foreach (var route in (string[])["post /api/v1/sessions", "post /api/v1/sessions/{id}/messages", "post /api/v1/messages/{id}/status", "post /api/v1/status-reports"])
        {
            var (method, path) = (route.Split(' ')[0], route.Split(' ')[1]);
            var reference = (string)doc["paths"]![path]![method]!["responses"]!["202"]!["$ref"]!;
            var schema = doc["components"]!["responses"]![reference.Split('/')[^1]]!["content"]!["application/json"]!["schema"]!.ToJsonString();
            Assert.True(schema.Contains("#/components/schemas/Spooled", StringComparison.Ordinal), $"{route} does not describe its spooled 202 answer: {schema}");
        }
        // Bodies are described with Parley's snake_case names.
        Assert.NotNull(doc["components"]!["schemas"]!["NewMessage"]!["properties"]!["provider_message_id"]);
    }
}
