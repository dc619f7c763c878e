using System.Diagnostics;

namespace Parley.Tests;

/// <summary>/openapi/v1.json, checked by an OpenAPI validator from npm (tests/openapi) against the specification's
/// own schema, and for the routes docs/http-api.md lists ("Routes").</summary>
public class OpenApiTests : IAsyncLifetime
{
    private ServerFixture _s = null!;
    public async Task InitializeAsync() => _s = await ServerFixture.StartAsync();
    public async Task DisposeAsync() => await _s.DisposeAsync();

    private static async Task<(int Exit, string Output)> Run(string file, string workingDirectory, params string[] args)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var output = await p.StandardOutput.ReadToEndAsync() + await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, output);
    }

    [Fact]
    public async Task the_openapi_document_is_valid_and_describes_every_route()
    {
        var tools = Path.Combine(ChildProcess.RepoRoot, "tests/openapi");
        if (!Directory.Exists(Path.Combine(tools, "node_modules")))
        {
            var (npm, log) = await Run("npm", tools, "ci", "--no-audit", "--no-fund");
            Assert.True(npm == 0, $"npm ci in tests/openapi failed (Node.js and npm are needed):\n{log}");
        }
        var file = Path.Combine(_s.Directory, "openapi.json");
        var json = await _s.Http.GetStringAsync("/openapi/v1.json");
        await File.WriteAllTextAsync(file, json);
        var (exit, output) = await Run("node", tools, "validate.mjs", file);
        Assert.True(exit == 0, output);

        var doc = System.Text.Json.Nodes.JsonNode.Parse(json)!;
        string[] routes =
        [
            "post /api/v1/sessions", "get /api/v1/sessions", "get /api/v1/sessions/{id}", "patch /api/v1/sessions/{id}", "post /api/v1/sessions/{id}/end",
            "delete /api/v1/sessions/{id}", "post /api/v1/sessions/{id}/messages", "get /api/v1/sessions/{id}/messages", "get /api/v1/messages/{id}",
            "get /api/v1/messages", "post /api/v1/messages/{id}/status", "post /api/v1/status-reports", "post /api/v1/sessions/{id}/read",
            "get /api/v1/events", "get /api/v1/system/events", "get /api/v1/system/schema",
        ];
        foreach (var route in routes)
        {
            var (method, path) = (route.Split(' ')[0], route.Split(' ')[1]);
            Assert.True(doc["paths"]?[path]?[method] is not null, $"{route} is not in the OpenAPI document");
        }
        // Every write that may be spooled says so: its 202 body is the usual one plus "spooled".
        foreach (var route in (string[])["post /api/v1/sessions", "post /api/v1/sessions/{id}/messages", "post /api/v1/messages/{id}/status", "post /api/v1/status-reports"])
        {
            var (method, path) = (route.Split(' ')[0], route.Split(' ')[1]);
            var schema = doc["paths"]![path]![method]!["responses"]?["202"]?["content"]?["application/json"]?["schema"];
            Assert.True(schema?["allOf"]?[1]?["properties"]?["spooled"] is not null, $"{route} does not describe its spooled 202 answer: {schema?.ToJsonString()}");
        }
        // Bodies are described with Parley's snake_case names.
        Assert.NotNull(doc["components"]!["schemas"]!["NewMessage"]!["properties"]!["provider_message_id"]);
    }
}
