using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Parley.Tests;

/// <summary>The HTTP API's contract checked on real traffic (docs/http-api.md, "The OpenAPI document"): a test server's
/// client talks to it through Stoplight Prism's validation proxy (tests/openapi, from npm), which compares every
/// request and answer with /openapi/v1.json. An answer the document does not describe fails the test at that call; so
/// does a request the document forbids that the server accepted (one the server refused with a 4xx is the two
/// agreeing). The proxy checks a stricter copy of the document: every object schema closed, so an answer with a
/// field the document does not name is a violation too.</summary>
public static class Contract
{
    /// <summary>Marks a request that is off the contract on purpose (a batch item the server answers with a per-item
    /// problem): its request violations are expected, its answer is still checked.</summary>
    public static readonly HttpRequestOptionsKey<bool> OffContract = new("parley.off-contract");

    public static string Tools => Path.Combine(ChildProcess.RepoRoot, "tests/openapi");

    private static readonly SemaphoreSlim Install = new(1, 1);

    /// <summary>Installs tests/openapi's npm packages once (test.sh does it first; this covers a test run alone).</summary>
    public static async Task EnsureToolsAsync()
    {
        await Install.WaitAsync();
        try
        {
            if (Directory.Exists(Path.Combine(Tools, "node_modules", "@stoplight", "prism-cli"))) return;
            var (exit, output, error) = await DotnetProcess.RunAsync("npm", Tools, TimeSpan.FromMinutes(5), "ci", "--no-audit", "--no-fund");
            if (exit != 0) throw new InvalidOperationException($"npm ci in tests/openapi failed (Node.js and npm are needed):\n{output}\n{error}");
        }
        finally
        {
            Install.Release();
        }
    }

    /// <summary>The document with every object schema closed (<c>additionalProperties: false</c> where it says
    /// nothing) and every <c>allOf</c> of objects merged into one object, so that closing it still lets each part's
    /// fields through.</summary>
    public static JsonObject Strict(JsonObject document)
    {
        var doc = document.DeepClone().AsObject();
        var schemas = doc["components"]!["schemas"]!.AsObject();
        JsonNode Resolve(JsonNode node) =>
            node is JsonObject o && o["$ref"]?.GetValue<string>() is { } r ? Resolve(schemas[r["#/components/schemas/".Length..]]!) : node;

        JsonNode Close(JsonNode node)
        {
            switch (node)
            {
                case JsonObject o when o["allOf"] is JsonArray parts && parts.Select(p => Resolve(p!)).All(p => p is JsonObject po && po["properties"] is not null):
                {
                    var merged = new JsonObject { ["type"] = "object" };
                    var properties = new JsonObject();
                    var required = new JsonArray();
                    foreach (var part in parts.Select(p => Resolve(p!)))
                    {
                        foreach (var (name, value) in part["properties"]!.AsObject()) properties[name] = Close(value!.DeepClone());
                        foreach (var name in part["required"]?.AsArray() ?? []) required.Add(name!.GetValue<string>());
                    }
                    merged["properties"] = properties;
                    merged["required"] = required;
                    merged["additionalProperties"] = false;
                    return merged;
                }
                case JsonObject o:
                {
                    var copy = new JsonObject();
                    foreach (var (name, value) in o) copy[name] = value is null ? null : Close(value.DeepClone());
                    if (copy["properties"] is JsonObject && !copy.ContainsKey("additionalProperties")) copy["additionalProperties"] = false;
                    return copy;
                }
                case JsonArray a:
                    return new JsonArray([.. a.Select(x => x is null ? null : Close(x.DeepClone()))]);
                default:
                    return node.DeepClone();
            }
        }

        return Close(doc).AsObject();
    }
}

/// <summary>Prism's validation proxy in front of one server: a child process on a free loopback port.</summary>
public sealed class ContractProxy : IAsyncDisposable
{
    private readonly Process _process;

    private ContractProxy(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<ContractProxy> StartAsync(string documentFile, Uri upstream)
    {
        await Contract.EnsureToolsAsync();
        var port = ChildProcess.FreePort();
        var info = new ProcessStartInfo("node") { WorkingDirectory = Contract.Tools, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "node_modules/@stoplight/prism-cli/dist/index.js", "proxy", documentFile, upstream.ToString().TrimEnd('/'), "--host", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--errors", "false" })
            info.ArgumentList.Add(a);
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start Prism");
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var said = new System.Text.StringBuilder();
        void Line(object _, DataReceivedEventArgs e)
        {
            if (e.Data is null) return;
            lock (said) said.AppendLine(e.Data);
            if (e.Data.Contains("Prism is listening", StringComparison.Ordinal)) listening.TrySetResult();
        }
        process.OutputDataReceived += Line;
        process.ErrorDataReceived += Line;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var exited = process.WaitForExitAsync();
        if (await Task.WhenAny(listening.Task, exited, Task.Delay(TimeSpan.FromSeconds(60))) != listening.Task)
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.Dispose();
            string text;
            lock (said) text = said.ToString();
            throw new InvalidOperationException($"Prism did not start listening:\n{text}");
        }
        return new ContractProxy(process, new Uri($"http://127.0.0.1:{port}"));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}

/// <summary>Fails the call whose request or answer Prism found off the contract (the rule in <see cref="Contract"/>).</summary>
public sealed class ContractCheck(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (!response.Headers.TryGetValues("sl-violations", out var values)) return response;
        var offContract = request.Options.TryGetValue(Contract.OffContract, out var off) && off;
        var failures = new List<string>();
        foreach (var value in values)
        {
            foreach (var v in JsonNode.Parse(value)!.AsArray())
            {
                var location = string.Join('.', v!["location"]!.AsArray().Select(l => l!.ToString()));
                // Prism's severities: Error, Warning, Information, Hint (numbered 0-3 in some versions).
                if (v["severity"]?.ToString() is not ("Error" or "0")) continue;
                var onRequest = location.StartsWith("request", StringComparison.Ordinal);
                if (onRequest && (offContract || !response.IsSuccessStatusCode)) continue;
                failures.Add($"{location}: {v["message"]} ({v["code"]})");
            }
        }
        if (failures.Count == 0) return response;
        var body = response.Content is null ? "" : await response.Content.ReadAsStringAsync(cancellationToken);
        throw new ContractViolationException(
            $"{request.Method} {request.RequestUri?.PathAndQuery} answered {(int)response.StatusCode}, off the OpenAPI document:\n  " +
            string.Join("\n  ", failures) + $"\nbody: {(body.Length > 2000 ? body[..2000] + "…" : body)}");
    }
}

public sealed class ContractViolationException(string message) : Exception(message);
