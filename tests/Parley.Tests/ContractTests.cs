using System.Text;
using System.Text.RegularExpressions;

namespace Parley.Tests;

/// <summary>The OpenAPI document against real traffic (docs/http-api.md, "The OpenAPI document"): the documented curl
/// examples replayed through Prism's validation proxy, and a TypeScript client generated from the document that
/// compiles under <c>tsc --strict</c> and calls every operation of a real server through the proxy.</summary>
public class ContractTests : IAsyncLifetime
{
    private ServerFixture _s = null!;
    public async Task InitializeAsync() => _s = await ServerFixture.StartThroughContractAsync();
    public async Task DisposeAsync() => await _s.DisposeAsync();

    [Fact]
    public async Task the_readme_and_http_api_examples_answer_as_the_document_says()
    {
        var commands = Curl.In(File.ReadAllText(Path.Combine(ChildProcess.RepoRoot, "README.md")), "## HTTP quick start")
            .Concat(Curl.In(File.ReadAllText(Path.Combine(ChildProcess.RepoRoot, "docs/http-api.md")), "## Examples"))
            .ToList();
        Assert.True(commands.Count >= 20, $"found only {commands.Count} curl examples");
        foreach (var c in commands.Where(c => !c.Stream))
        {
            using var request = new HttpRequestMessage(new HttpMethod(c.Method), c.Path);
            if (c.Body is not null) request.Content = new StringContent(c.Body, Encoding.UTF8, "application/json");
            using var response = await _s.Http.SendAsync(request);
            Assert.True(response.IsSuccessStatusCode, $"{c.Method} {c.Path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
        // The stream examples open. Prism passes an answer on only once it has ended, and this one never does, so they
        // go to the server itself.
        foreach (var stream in commands.Where(c => c.Stream))
        {
            using var events = await _s.Direct.GetAsync(stream.Path, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal("text/event-stream", events.Content.Headers.ContentType?.MediaType);
        }
    }

    /// <summary>Every write that can wait in the spool answers 202 as the document says, and reads meanwhile 503.</summary>
    [Fact]
    public async Task spooled_answers_and_503s_are_as_the_document_says()
    {
        Assert.Equal(System.Net.HttpStatusCode.Created, (await _s.PostJson("/api/v1/sessions", """{"id": "sp"}""")).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.Created, (await _s.PostJson("/api/v1/sessions/sp/messages",
            """{"id": "sp-1", "sender_type": "agent", "content": "x", "channel": "sms", "provider_message_id": "SP1"}""")).StatusCode);
        using (TestDatabases.LockSqlite(_s.DbPath))
        {
            foreach (var (path, body) in new[]
            {
                ("/api/v1/sessions", """{"id": "sp-2"}"""),
                ("/api/v1/sessions/sp/messages", """{"sender_type": "agent", "content": "one"}"""),
                ("/api/v1/sessions/sp/messages", """{"messages": [{"sender_type": "agent", "content": "two"}]}"""),
                ("/api/v1/messages/sp-1/status", """{"status": "delivered"}"""),
                ("/api/v1/status-reports", """{"reports": [{"provider_message_id": "SP1", "channel": "sms", "status": "read"}]}"""),
            })
            {
                var (response, answer) = await _s.Send(HttpMethod.Post, path, body);
                Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
                Assert.True((bool)answer!["spooled"]!, path);
            }
            var (read, problem) = await _s.Send(HttpMethod.Get, "/api/v1/sessions/sp");
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, read.StatusCode);
            Assert.NotNull(read.Headers.RetryAfter);
            Assert.Equal(503, (int)problem!["status"]!);
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    /// <summary>The check itself: a document that says something the server does not do fails the call, and a
    /// request the document forbids fails only when the server accepted it.</summary>
    [Fact]
    public async Task the_proxy_fails_a_call_the_document_does_not_describe()
    {
        Assert.Equal(System.Net.HttpStatusCode.Created, (await _s.PostJson("/api/v1/sessions", """{"id": "c-1", "title": "t"}""")).StatusCode);
        var document = Contract.Strict(System.Text.Json.Nodes.JsonNode.Parse(await _s.Direct.GetStringAsync("/openapi/v1.json"))!.AsObject());
        var session = document["components"]!["schemas"]!["Session"]!;
        session["properties"]!["title"] = new System.Text.Json.Nodes.JsonObject { ["type"] = "integer" }; // a wrong type
        session["properties"]!.AsObject().Remove("user_account");                                        // a field it does not name
        document["components"]!["schemas"]!["NewSession"]!["properties"]!.AsObject().Remove("title");   // a request field it forbids
        var file = Path.Combine(_s.Directory, "openapi.wrong.json");
        await File.WriteAllTextAsync(file, document.ToJsonString());
        await using var proxy = await ContractProxy.StartAsync(file, _s.Direct.BaseAddress!);
        using var http = new HttpClient(new ContractCheck(new SocketsHttpHandler())) { BaseAddress = proxy.Address };

        var read = await Assert.ThrowsAsync<ContractViolationException>(() => http.GetAsync("/api/v1/sessions/c-1"));
        Assert.Contains("response.body.title", read.Message, StringComparison.Ordinal);
        Assert.Contains("user_account", read.Message, StringComparison.Ordinal);
        // The server accepts a title, the document refuses it: that is a failure too.
        var create = await Assert.ThrowsAsync<ContractViolationException>(() =>
            http.PostAsync("/api/v1/sessions", new StringContent("""{"id": "c-2", "title": "t"}""", Encoding.UTF8, "application/json")));
        Assert.Contains("request.body", create.Message, StringComparison.Ordinal);
        // A request both refuse is the two agreeing: the 400 passes.
        using var refused = await http.PostAsync("/api/v1/sessions", new StringContent("""{"id": "c-3", "chanel": "x"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.StatusCode);
    }

    [Fact]
    public async Task a_typescript_client_generated_from_the_document_compiles_strictly_and_calls_every_route()
    {
        var tools = Contract.Tools;
        var client = Path.Combine(tools, "client");
        var document = Path.Combine(_s.Directory, "openapi.json");
        await File.WriteAllTextAsync(document, await _s.Direct.GetStringAsync("/openapi/v1.json"));
        var timeout = TimeSpan.FromMinutes(3);
        await DotnetProcess.CheckedAsync("node", tools, timeout, "node_modules/openapi-typescript/bin/cli.js", document, "--output", Path.Combine(client, "parley.ts"));
        // --strict on the command line as well as in tsconfig.json: the compile is what catches a mistyped field.
        await DotnetProcess.CheckedAsync("node", tools, timeout, "node_modules/typescript/bin/tsc", "-p", "client", "--strict");
        var (output, _) = await DotnetProcess.CheckedAsync("node", tools, timeout, "client/dist/client.js",
            _s.Http.BaseAddress!.ToString().TrimEnd('/'), _s.Direct.BaseAddress!.ToString().TrimEnd('/'));
        Assert.Matches(@"ok: \d+ checks, every operation called", output);
        // Every operation of the document appears in the client.
        var calls = File.ReadAllText(Path.Combine(client, "client.ts"));
        var doc = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(document))!;
        foreach (var (path, item) in doc["paths"]!.AsObject())
        {
            foreach (var (method, _) in item!.AsObject().Where(o => o.Key != "parameters"))
            {
                if (path == "/openapi/v1.json") continue; // the document itself, fetched above
                Assert.True(calls.Contains($".{method.ToUpperInvariant()}(\"{path}\"", StringComparison.Ordinal), $"the TypeScript client does not call {method} {path}");
            }
        }
    }
}

/// <summary>The curl commands of a markdown section's sh blocks.</summary>
internal sealed record Curl(string Method, string Path, string? Body, bool Stream)
{
    public static IEnumerable<Curl> In(string markdown, string heading)
    {
        var start = markdown.IndexOf(heading + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no section {heading}");
        var end = markdown.IndexOf("\n## ", start + heading.Length, StringComparison.Ordinal);
        var section = markdown[start..(end < 0 ? markdown.Length : end)];
        foreach (Match block in Regex.Matches(section, "```sh\n(.*?)```", RegexOptions.Singleline))
        {
            var text = block.Groups[1].Value.Replace("\\\n", " ", StringComparison.Ordinal);
            foreach (var line in text.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("curl ", StringComparison.Ordinal)))
                yield return Parse(line);
        }
    }

    private static Curl Parse(string line)
    {
        var words = Words(line);
        string method = "GET", url = "";
        string? body = null;
        var stream = false;
        for (var i = 1; i < words.Count; i++)
        {
            switch (words[i])
            {
                case "-X": method = words[++i]; break;
                case "-d": body = words[++i]; method = method == "GET" ? "POST" : method; break;
                case "-H": i++; break;
                case "-s": break;
                case "-N": stream = true; break;
                case var w when w.StartsWith('#'): i = words.Count; break;
                case var w: url = w; break;
            }
        }
        var path = url[url.IndexOf('/', StringComparison.Ordinal)..];
        return new Curl(method, path, body, stream);
    }

    private static List<string> Words(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var quoted = false;
        var inWord = false;
        foreach (var ch in line)
        {
            if (ch == '\'') { quoted = !quoted; inWord = true; continue; }
            if (ch == ' ' && !quoted)
            {
                if (inWord) words.Add(word.ToString());
                word.Clear();
                inWord = false;
                continue;
            }
            word.Append(ch);
            inWord = true;
        }
        if (inWord) words.Add(word.ToString());
        return words;
    }
}
