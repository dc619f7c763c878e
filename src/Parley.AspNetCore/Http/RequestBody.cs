using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Parley.AspNetCore.Http;

/// <summary>Reads a JSON body under a size limit (docs/http-api.md, "Conventions": 1 MiB, 10 MiB for batch routes).
/// Oversized bodies are 413, malformed JSON or invalid UTF-8 a 400 naming where, an empty body a 400.</summary>
internal static class RequestBody
{
    public const long Default = 1024 * 1024;
    public const long Batch = 10 * 1024 * 1024;

    public static async Task<byte[]> ReadBytesAsync(HttpRequest request, long limit)
    {
        if (request.ContentLength > limit) throw TooLarge(limit);
        var bytes = request.ContentLength is { } length
            ? await ReadExactlyAsync(request, (int)length)
            : await ReadChunkedAsync(request, limit);
        if (bytes.Length == 0) throw new ArgumentException("a JSON body is required.", "body");
        // System.Text.Json would quietly turn invalid UTF-8 inside strings into U+FFFD: refuse it instead.
        if (!System.Text.Unicode.Utf8.IsValid(bytes)) throw new ArgumentException("the body is not valid UTF-8.", "body");
        RefuseDuplicateKeys(bytes);
        return bytes;
    }

    /// <summary>One rule for every body (docs/security.md): a key given twice in any object, at any depth, is a 400,
    /// rather than first-wins in one place and last-wins in another. Malformed JSON is left to the route's own parse,
    /// which names the field.</summary>
    private static void RefuseDuplicateKeys(byte[] bytes)
    {
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = 64 });
        var open = new Stack<HashSet<string>?>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject: open.Push(null); break;
                    case JsonTokenType.StartArray: open.Push(null); break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray: open.Pop(); break;
                    case JsonTokenType.PropertyName:
                        var seen = open.Pop() ?? new HashSet<string>(StringComparer.Ordinal);
                        var name = reader.GetString()!;
                        if (!seen.Add(name))
                            throw new ArgumentException($"the key \"{name}\" appears twice in one object; give each key once.", "body");
                        open.Push(seen);
                        break;
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Malformed JSON or text: the route's parse reports it with the field's path.
        }
    }

    // A declared length is read into an array of that size: one allocation the size of the body (Kestrel refuses a
    // body that ends early or runs past its Content-Length).
    private static async Task<byte[]> ReadExactlyAsync(HttpRequest request, int length)
    {
        var bytes = new byte[length];
        await request.Body.ReadExactlyAsync(bytes, request.HttpContext.RequestAborted);
        return bytes;
    }

    private static async Task<byte[]> ReadChunkedAsync(HttpRequest request, long limit)
    {
        using var buffer = new MemoryStream();
        var chunk = System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
            {
                if (buffer.Length + read > limit) throw TooLarge(limit);
                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(chunk);
        }
        return buffer.ToArray();
    }

    public static async Task<JsonObject> ReadObjectAsync(HttpRequest request, long limit = Default)
    {
        var bytes = await ReadBytesAsync(request, limit);
        return JsonNode.Parse(bytes, documentOptions: new JsonDocumentOptions { MaxDepth = 64 }) as JsonObject
               ?? throw new ArgumentException("the body must be a JSON object.", "body");
    }

    public static async Task<T> ReadAsync<T>(HttpRequest request, long limit = Default)
    {
        var bytes = await ReadBytesAsync(request, limit);
        return JsonSerializer.Deserialize<T>(bytes, ParleyJson.Options) ?? throw new ArgumentException("the body must be a JSON object.", "body");
    }

    /// <summary>The name of the body's first property (null for an empty object), read without parsing the rest.</summary>
    public static string? FirstProperty(byte[] body)
    {
        var reader = new Utf8JsonReader(body);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            throw new ArgumentException("the body must be a JSON object.", "body");
        return reader.Read() && reader.TokenType == JsonTokenType.PropertyName ? reader.GetString() : null;
    }

    /// <summary>Deserializes a whole body straight from its bytes.</summary>
    public static T As<T>(byte[] body)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(body, ParleyJson.Options) ?? throw new ArgumentException("the body must be a JSON object.", "body");
        }
        catch (InvalidOperationException e)
        {
            throw new ArgumentException($"the body holds text that is not well-formed Unicode ({e.Message})", "body");
        }
    }

    /// <summary>Deserializes part of a body, reporting errors with the part's path (<c>messages[3].channel</c>).</summary>
    public static T As<T>(JsonNode? node, string path)
    {
        if (node is not JsonObject) throw new ArgumentException($"{path} must be a JSON object.", path);
        try
        {
            return node.Deserialize<T>(ParleyJson.Options) ?? throw new ArgumentException($"{path} must be a JSON object.", path);
        }
        catch (JsonException e)
        {
            var inner = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "" : e.Path.TrimStart('$');
            throw new JsonException(e.Message, path.Length == 0 ? "$" + inner : "$." + path + inner, e.LineNumber, e.BytePositionInLine, e);
        }
        catch (InvalidOperationException e)
        {
            // JsonNode refuses escaped lone surrogates ("\ud800") this way; it is the client's text, so a 400.
            throw new ArgumentException($"{(path.Length == 0 ? "the body" : path)} holds text that is not well-formed Unicode ({e.Message})", path.Length == 0 ? "body" : path);
        }
    }

    /// <summary>A string field of a JSON object, or null; anything else (or malformed text) is a 400 naming it.</summary>
    public static string? Text(JsonObject body, string name, string path)
    {
        try
        {
            return body[name] switch
            {
                null => null,
                JsonValue v when v.TryGetValue<string>(out var text) => text,
                _ => throw new ArgumentException($"{path} must be a string.", path),
            };
        }
        catch (InvalidOperationException e)
        {
            throw new ArgumentException($"{path} is not well-formed Unicode ({e.Message})", path);
        }
    }

    private static BadHttpRequestException TooLarge(long limit) =>
        new($"the body is larger than this route's limit of {limit / (1024 * 1024)} MiB.", StatusCodes.Status413PayloadTooLarge);
}
