using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Parley.AspNetCore.Http;

/// <summary>The OpenAPI document of Parley's HTTP API (docs/http-api.md, "The OpenAPI document"). It is written by hand
/// in <c>Http/openapi.json</c>, because the routes read their own bodies and query strings to refuse bad input with
/// errors that name the field; the test suite checks it against the server's real traffic. Served at
/// <c>{prefix}/openapi/v1.json</c> with <c>servers</c> naming the prefix, so a client generated from it calls the right
/// paths wherever Parley is mounted.</summary>
internal static class OpenApiDocument
{
    private static readonly string Text = Load();

    private static string Load()
    {
        using var stream = typeof(OpenApiDocument).Assembly.GetManifestResourceStream("Parley.AspNetCore.openapi.json")
            ?? throw new InvalidOperationException("the OpenAPI document is not embedded in Parley.AspNetCore.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <summary>The document, with its server URL set to <paramref name="prefix"/> (the root when empty).</summary>
    public static byte[] For(PathString prefix)
    {
        var doc = JsonNode.Parse(Text)!.AsObject();
        doc["servers"] = new JsonArray(new JsonObject { ["url"] = prefix.HasValue ? prefix.Value : "/" });
        return Encoding.UTF8.GetBytes(doc.ToJsonString());
    }
}
