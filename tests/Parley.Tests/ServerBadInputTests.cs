using System.Net;
using System.Text;

namespace Parley.Tests;

/// <summary>Bad input over HTTP: a 4xx problem+json naming what was wrong, never a 500, and nothing written.</summary>
public abstract class ServerBadInputTests(string engine) : IAsyncLifetime
{
    private ServerFixture _s = null!;

    public async Task InitializeAsync()
    {
        _s = await ServerFixture.StartAsync(engine);
        await _s.Send(HttpMethod.Post, "/api/v1/sessions", """{"id": "s"}""");
        await _s.Send(HttpMethod.Post, "/api/v1/sessions/s/messages", """{"sender_type": "agent", "content": "seed", "provider_message_id": "P1"}""");
    }

    public async Task DisposeAsync() => await _s.DisposeAsync();

    private string State() =>
        $"{_s.Scalar("SELECT count(*) FROM parley_sessions")}/{_s.Scalar("SELECT count(*) FROM parley_messages")}/" +
        $"{_s.Scalar("SELECT count(*) FROM parley_message_events")}/{_s.Scalar("SELECT count(*) FROM parley_parked_reports")}/" +
        $"{_s.Scalar("SELECT coalesce(sum(length(coalesce(title, '')) + message_count), 0) FROM parley_sessions")}";

    [Theory]
    [InlineData("POST", "/api/v1/sessions/s/messages", "{\"sender_type\": \"agent\", \"content\": ", 400, "content")]
    [InlineData("POST", "/api/v1/sessions/s/messages", "{\"sender_type\": \"agent\", \"content\": \"x\", \"chanel\": \"sms\"}", 400, "chanel")]
    [InlineData("POST", "/api/v1/sessions/s/messages", "{\"sender_type\": \"agent\", \"content\": 42}", 400, "content")]
    [InlineData("POST", "/api/v1/sessions/s/messages", "{\"sender_type\": \"robot\", \"content\": \"x\"}", 400, "sender_type")]
    [InlineData("POST", "/api/v1/sessions/s/messages", "{\"sender_type\": \"agent\", \"content\": \"x\", \"channel\": \"SMS\"}", 400, "channel")]
    [InlineData("POST", "/api/v1/sessions/s/messages", "{\"messages\": [{\"sender_type\": \"agent\", \"content\": \"ok\"}, {\"sender_type\": \"agent\"}]}", 400, "messages[1].content")]
    [InlineData("POST", "/api/v1/sessions/s/messages", "[1, 2]", 400, "body")]
    [InlineData("POST", "/api/v1/sessions/s/messages", "", 400, "body")]
    [InlineData("POST", "/api/v1/sessions/nope/messages", "{\"sender_type\": \"agent\", \"content\": \"x\"}", 404, null)]
    [InlineData("POST", "/api/v1/sessions", "{\"id\": \"has space\"}", 400, "id")]
    [InlineData("POST", "/api/v1/sessions", "{\"id\": \"x\", \"metadata\": [1]}", 400, "metadata")]
    [InlineData("PATCH", "/api/v1/sessions/s", "{\"tenant\": \"other\"}", 400, "tenant")]
    [InlineData("PATCH", "/api/v1/sessions/s", "{\"title\": 5}", 400, "title")]
    [InlineData("GET", "/api/v1/sessions?page=0", null, 400, "page")]
    [InlineData("GET", "/api/v1/sessions/s?tenant=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", null, 400, "tenant")]
    [InlineData("POST", "/api/v1/sessions?tenant=acme", "{\"id\": \"t1\", \"tenant\": \"globex\"}", 400, "tenant")]
    [InlineData("GET", "/api/v1/sessions?page=99999999999", null, 400, "page")]
    [InlineData("GET", "/api/v1/sessions?per_page=201", null, 400, "per_page")]
    [InlineData("GET", "/api/v1/sessions?status=open", null, 400, "status")]
    [InlineData("GET", "/api/v1/sessions?since=yesterday", null, 400, "since")]
    [InlineData("GET", "/api/v1/sessions/s/messages?cursor=%27%3B%20DROP%20TABLE", null, 400, "cursor")]
    [InlineData("GET", "/api/v1/sessions/s/messages?order=sideways", null, 400, "order")]
    [InlineData("GET", "/api/v1/messages?limit=-1", null, 400, "limit")]
    [InlineData("POST", "/api/v1/messages/nope/status", "{\"status\": \"sent\"}", 404, null)]
    [InlineData("POST", "/api/v1/status-reports", "{\"reports\": []}", 400, "reports")]
    [InlineData("POST", "/api/v1/status-reports", "{\"items\": []}", 400, "reports")]
    [InlineData("POST", "/api/v1/sessions/s/read", "{\"reader\": \"bot\"}", 400, "reader")]
    [InlineData("POST", "/api/v1/sessions/s/read", "{}", 400, "reader")]
    [InlineData("POST", "/api/v1/sessions/s/read", "{\"reader\": null, \"up_to\": null}", 400, "reader")]
    [InlineData("DELETE", "/api/v1/sessions/nope", null, 404, null)]
    [InlineData("PUT", "/api/v1/sessions/s", "{}", 405, null)]
    // Input every engine must refuse alike, before anything is acknowledged (docs/security.md).
    [InlineData("POST", "/api/v1/sessions", "{\"id\": \".\"}", 400, "id")]
    [InlineData("POST", "/api/v1/sessions", "{\"id\": \"..\"}", 400, "id")]
    [InlineData("POST", "/api/v1/sessions/s/messages", "{\"sender_type\": \"agent\", \"content\": \"x\", \"id\": \"..\"}", 400, "id")]
    [InlineData("POST", "/api/v1/sessions", "{\"id\": \"d1\", \"id\": \"d2\"}", 400, null)]
    [InlineData("POST", "/api/v1/sessions", "{\"id\": \"d3\", \"metadata\": {\"a\": 1, \"a\": 2}}", 400, null)]
    [InlineData("POST", "/api/v1/sessions", "{\"id\": \"d4\", \"metadata\": {\"x\": [{\"b\": 1, \"b\": 1}]}}", 400, null)]
    [InlineData("POST", "/api/v1/sessions/s/messages", "{\"sender_type\": \"agent\", \"content\": \"x\", \"content\": \"y\"}", 400, null)]
    [InlineData("POST", "/api/v1/sessions/s/messages", "{\"messages\": [{\"sender_type\": \"agent\", \"content\": \"x\", \"metadata\": {\"k\": 1, \"k\": 1}}]}", 400, null)]
    [InlineData("POST", "/api/v1/status-reports", "{\"reports\": [], \"reports\": [{\"provider_message_id\": \"P1\", \"status\": \"sent\"}]}", 400, null)]
    [InlineData("POST", "/api/v1/sessions", "{\"id\": \"u1\", \"metadata\": {\"a\": \"\\ud800\"}}", 400, "metadata")]
    [InlineData("POST", "/api/v1/sessions", "{\"id\": \"u2\", \"metadata\": {\"\\udc00\": 1}}", 400, "metadata")]
    [InlineData("PATCH", "/api/v1/sessions/s", "{\"metadata\": {\"a\": \"\\ud800x\"}}", 400, "metadata")]
    [InlineData("POST", "/api/v1/sessions/s/messages", "{\"sender_type\": \"agent\", \"content\": \"x\", \"metadata\": {\"a\": \"\\udfff\"}}", 400, "metadata")]
    [InlineData("POST", "/api/v1/sessions", "{\"id\": \"n1\", \"metadata\": {\"a\": \"x\\u0000y\"}}", 400, "metadata")]
    [InlineData("POST", "/api/v1/sessions", "{\"id\": \"n2\", \"metadata\": {\"a\\u0000\": 1}}", 400, "metadata")]
    [InlineData("POST", "/api/v1/sessions/s/messages", "{\"sender_type\": \"agent\", \"content\": \"x\", \"metadata\": {\"a\": 1e999999}}", 400, "metadata")]
    [InlineData("POST", "/api/v1/sessions", "{\"id\": \"h1\", \"metadata\": {\"a\": -1e400}}", 400, "metadata")]
    [InlineData("PATCH", "/api/v1/sessions/s", "{\"metadata\": {\"a\": [1e309]}}", 400, "metadata")]
    public async Task bad_requests_get_a_problem_naming_the_field_and_change_nothing(string method, string path, string? body, int status, string? field)
    {
        var before = State();
        var (r, problem) = await _s.Send(new HttpMethod(method), path, body);
        Assert.Equal(status, (int)r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        Assert.Equal(status, (int)problem!["status"]!);
        Assert.False(string.IsNullOrEmpty((string?)problem["title"]));
        if (field is not null) Assert.NotNull(problem["errors"]![field]);
        Assert.Equal(before, State());
    }

    [Fact]
    public async Task batches_hold_at_most_max_batch_messages_or_reports_and_one_more_is_refused_whole()
    {
        Assert.Equal(1000, Ledger.MaxBatch); // the limit docs/http-api.md gives both batch routes
        var (_, page) = await _s.Send(HttpMethod.Get, "/api/v1/sessions/s/messages");
        var id = (string)page!["items"]![0]!["id"]!;
        string Messages(int n) => "{\"messages\": [" + string.Join(",", Enumerable.Repeat("{\"sender_type\": \"agent\", \"content\": \"x\"}", n)) + "]}";
        string Reports(int n) => "{\"reports\": [" + string.Join(",", Enumerable.Repeat("{\"message_id\": \"" + id + "\", \"status\": \"sent\"}", n)) + "]}";
        var before = State();

        var (r, problem) = await _s.Send(HttpMethod.Post, "/api/v1/sessions/s/messages", Messages(Ledger.MaxBatch + 1));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal($"messages must hold 1 to {Ledger.MaxBatch} messages; got {Ledger.MaxBatch + 1}.", (string?)problem!["errors"]!["messages"]![0]);
        (r, problem) = await _s.Send(HttpMethod.Post, "/api/v1/status-reports", Reports(Ledger.MaxBatch + 1));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal($"reports must hold 1 to {Ledger.MaxBatch} reports; got {Ledger.MaxBatch + 1}.", (string?)problem!["errors"]!["reports"]![0]);
        Assert.Equal(before, State());

        (r, var logged) = await _s.Send(HttpMethod.Post, "/api/v1/sessions/s/messages", Messages(Ledger.MaxBatch));
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        Assert.Equal(Ledger.MaxBatch, logged!["messages"]!.AsArray().Count);
        (r, var results) = await _s.Send(HttpMethod.Post, "/api/v1/status-reports", Reports(Ledger.MaxBatch));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal(Ledger.MaxBatch, results!["results"]!.AsArray().Count);
    }

    [Theory]
    [InlineData("{\"a\": \"\\ud800\"}", false)]
    [InlineData("{\"a\": \"\\u0000\"}", false)]
    [InlineData("{\"a\": 1e999999}", false)]
    [InlineData("{\"a\": 1, \"a\": 2}", true)] // a duplicate key anywhere refuses the whole body
    public async Task a_report_detail_every_engine_cannot_store_alike_is_refused(string detail, bool wholeBody)
    {
        var (_, page) = await _s.Send(HttpMethod.Get, "/api/v1/sessions/s/messages");
        var id = (string)page!["items"]![0]!["id"]!;
        var before = State();
        var (one, problem) = await _s.Send(HttpMethod.Post, $"/api/v1/messages/{id}/status", "{\"status\": \"sent\", \"detail\": " + detail + "}");
        Assert.Equal(HttpStatusCode.BadRequest, one.StatusCode);
        Assert.Equal(400, (int)problem!["status"]!);
        var (batch, answer) = await _s.Send(HttpMethod.Post, "/api/v1/status-reports",
            "{\"reports\": [{\"message_id\": \"" + id + "\", \"status\": \"sent\", \"detail\": " + detail + "}]}");
        Assert.True(batch.StatusCode == (wholeBody ? HttpStatusCode.BadRequest : HttpStatusCode.OK), $"{batch.StatusCode}: {answer}");
        Assert.Equal(400, (int)(wholeBody ? answer!["status"] : answer!["results"]![0]!["error"]!["status"])!);
        Assert.Equal(before, State());
    }

    // What a web page can make a browser send (docs/security.md, HTTP), on every engine: refused before the route runs.
    [Theory]
    [InlineData("text/plain", null, null, 415)]
    [InlineData("application/x-www-form-urlencoded", null, null, 415)]
    [InlineData(null, null, null, 415)]
    [InlineData("application/json; charset=iso-8859-1", null, null, 415)]
    [InlineData("application/json", "rebind.example.com", null, 421)]
    [InlineData("application/json", null, "http://evil.example", 403)]
    public async Task browser_borne_requests_are_refused_and_change_nothing(string? contentType, string? host, string? origin, int status)
    {
        var before = State();
        foreach (var (path, json) in new[]
        {
            ("/api/v1/sessions", "{\"id\": \"web\"}"),
            ("/api/v1/sessions/s/messages", "{\"sender_type\": \"agent\", \"content\": \"from a page\"}"),
            ("/api/v1/status-reports", "{\"reports\": [{\"provider_message_id\": \"P1\", \"status\": \"read\"}]}"),
        })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(json)) };
            if (contentType is not null) request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            if (host is not null) request.Headers.Host = host;
            if (origin is not null) request.Headers.TryAddWithoutValidation("Origin", origin);
            using var response = await _s.Http.SendAsync(request);
            Assert.Equal(status, (int)response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        Assert.Equal(before, State());
    }

    [Fact]
    public async Task invalid_utf8_and_oversized_bodies_are_refused()
    {
        var before = State();
        var bad = new ByteArrayContent([.. "{\"sender_type\": \"agent\", \"content\": \""u8, 0xC3, 0x28, .. "\"}"u8]);
        bad.Headers.ContentType = new("application/json");
        var r = await _s.Http.PostAsync("/api/v1/sessions/s/messages", bad);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);

        // A well-behaved uploader asks first (Expect: 100-continue), so the refusal arrives before the body is sent.
        async Task<HttpStatusCode> Upload(string path, string json)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
            request.Headers.ExpectContinue = true;
            return (await _s.Http.SendAsync(request)).StatusCode;
        }
        var huge = "{\"id\": \"x\", \"title\": \"" + new string('a', 1024 * 1024 + 10) + "\"}";
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, await Upload("/api/v1/sessions", huge));
        var batchTooBig = "{\"messages\": [" + string.Join(",", Enumerable.Range(0, 11).Select(_ => "{\"sender_type\": \"agent\", \"content\": \"" + new string('b', 1024 * 1024 - 100) + "\"}")) + "]}";
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, await Upload("/api/v1/sessions/s/messages", batchTooBig));
        // Under its limit, a batch route takes more than 1 MiB.
        var bigBatch = "{\"messages\": [" + string.Join(",", Enumerable.Range(0, 3).Select(_ => "{\"sender_type\": \"agent\", \"content\": \"" + new string('c', 600_000) + "\"}")) + "]}";
        Assert.Equal(HttpStatusCode.Created, await Upload("/api/v1/sessions/s/messages", bigBatch));
        before = State();
        Assert.Equal(before, State());
        Assert.Equal(HttpStatusCode.BadRequest, (await _s.PostJson("/api/v1/sessions/s/messages", "{\"sender_type\": \"agent\", \"content\": \"\\ud800\"}")).StatusCode);
        Assert.Equal(before, State());
    }

    [Fact]
    public async Task chunked_bodies_without_a_length_are_read_whole_and_held_to_the_same_limits()
    {
        // A body sent in chunks has no Content-Length: it is read to its end, in pieces, under the route's limit.
        async Task<HttpResponseMessage> Chunked(string path, string json)
        {
            var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(json)), 4096);
            content.Headers.ContentType = new("application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
            request.Headers.TransferEncodingChunked = true;
            return await _s.Http.SendAsync(request);
        }
        var text = new string('d', 100_000);
        var r = await Chunked("/api/v1/sessions/s/messages", "{\"sender_type\": \"agent\", \"content\": \"" + text + "\"}");
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        var (_, stored) = await _s.Send(HttpMethod.Get, "/api/v1/messages/" + (string?)System.Text.Json.Nodes.JsonNode.Parse(await r.Content.ReadAsStringAsync())!["id"]);
        Assert.Equal(text, (string?)stored!["content"]);

        var before = State();
        var tooBig = await Chunked("/api/v1/sessions", "{\"id\": \"y\", \"title\": \"" + new string('a', 1024 * 1024 + 10) + "\"}");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooBig.StatusCode);
        Assert.Equal("application/problem+json", tooBig.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, State());
    }

    [Fact]
    public async Task sql_looking_strings_are_stored_verbatim()
    {
        const string evil = "'; DROP TABLE parley_messages; --";
        var (r, m) = await _s.Send(HttpMethod.Post, "/api/v1/sessions/s/messages", $$"""{"sender_type": "agent", "content": "{{evil}}", "recipient": "{{evil}}"}""");
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        var (_, found) = await _s.Send(HttpMethod.Get, "/api/v1/messages?recipient=" + Uri.EscapeDataString(evil));
        Assert.Equal(evil, (string?)found!["items"]![0]!["content"]);
    }

    [Fact]
    public async Task a_few_thousand_generated_bad_requests_get_no_5xx_and_change_nothing()
    {
        var before = State();
        var rng = new Random(4242);
        // Destructive routes aim at ids that do not exist; every JSON object body carries an unknown field, so no
        // generated request is valid by chance.
        string[] paths = ["/api/v1/sessions", "/api/v1/sessions/nope", "/api/v1/sessions/s/messages", "/api/v1/sessions/s/read", "/api/v1/sessions/nope/end",
            "/api/v1/messages", "/api/v1/messages/x/status", "/api/v1/status-reports", "/api/v1/sessions/%00/messages", "/api/v1/sessions/" + new string('z', 300)];
        string[] methods = ["GET", "POST", "PATCH", "DELETE", "PUT"];
        string[] values = ["null", "true", "-1", "1e309", "\"\"", "\"\\u0000\"", "\"\\ud800\"", "[]", "{}", "\"' OR 1=1 --\"", "\"" + new string('x', 5000) + "\"", "99999999999999999999", "\"2026-13-45T99:00:00Z\""];
        string[] fields = ["id", "kind", "title", "sender_type", "direction", "content", "channel", "status", "at", "reader", "up_to", "messages", "reports", "metadata", "provider_message_id", "per_page"];
        var statuses = new Dictionary<int, int>();
        for (var i = 0; i < 3000; i++)
        {
            var method = methods[rng.Next(methods.Length)];
            var path = paths[rng.Next(paths.Length)];
            if (rng.Next(3) == 0) path += $"?{fields[rng.Next(fields.Length)]}={Uri.EscapeDataString(values[rng.Next(values.Length)])}&page={rng.Next(-5, 5)}";
            string? body = null;
            if (method is "POST" or "PATCH" or "PUT")
            {
                body = rng.Next(4) switch
                {
                    0 => "{" + string.Join(",", Enumerable.Range(0, rng.Next(1, 4)).Select(_ => $"\"{fields[rng.Next(fields.Length)]}\": {values[rng.Next(values.Length)]}")) + ", \"zz_unknown\": 1}",
                    1 => values[rng.Next(values.Length)],
                    2 => "{\"messages\": [" + values[rng.Next(values.Length)] + "], \"zz_unknown\": 1}",
                    _ => new string((char)rng.Next(32, 127), rng.Next(0, 40)),
                };
            }
            var (r, _) = await _s.Send(new HttpMethod(method), path, body);
            var code = (int)r.StatusCode;
            statuses[code] = statuses.GetValueOrDefault(code) + 1;
            Assert.True(code < 500, $"{method} {path} {body} -> {code}");
        }
        // Reads of existing resources may succeed; nothing may be written.
        Assert.Equal(before, State());
        Assert.True(statuses.Where(p => p.Key >= 400).Sum(p => p.Value) > 2000, string.Join(", ", statuses));
    }
}

[Trait("Engine", "sqlite")]
public sealed class ServerBadInputTestsOnSqlite() : ServerBadInputTests(TestDatabases.Sqlite);

[Trait("Engine", "postgres")]
public sealed class ServerBadInputTestsOnPostgres() : ServerBadInputTests(TestDatabases.Postgres);

[Trait("Engine", "mysql")]
public sealed class ServerBadInputTestsOnMySql() : ServerBadInputTests(TestDatabases.MySql);
