using System.Net;
using System.Text.Json.Nodes;

namespace Parley.Tests;

/// <summary>The HTTP API (docs/http-api.md) through real HTTP: shapes, status codes, cursors, status reports.</summary>
public abstract class ServerApiTests(string engine) : IAsyncLifetime
{
    private ServerFixture _s = null!;
    public async Task InitializeAsync() => _s = await ServerFixture.StartThroughContractAsync(engine);
    public async Task DisposeAsync() => await _s.DisposeAsync();

    [Fact]
    public async Task sessions_are_created_listed_changed_ended_and_deleted()
    {
        var (r, body) = await _s.Send(HttpMethod.Post, "/api/v1/sessions", """{"id": "chat-1", "kind": "live_agent", "title": "Refund", "metadata": {"crm": 7}}""");
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        Assert.Equal("live_agent", (string?)body!["kind"]);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", (string?)body["started_at"]);
        Assert.Equal(0, (int)body["summary"]!["message_count"]!);

        (r, body) = await _s.Send(HttpMethod.Post, "/api/v1/sessions", """{"id": "chat-1", "kind": "other"}""");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("live_agent", (string?)body!["kind"]);

        for (var i = 0; i < 4; i++) await _s.Send(HttpMethod.Post, "/api/v1/sessions", "{}");
        (r, body) = await _s.Send(HttpMethod.Get, "/api/v1/sessions?per_page=2&page=2");
        Assert.Equal(5, (int)body!["total"]!);
        Assert.Equal(3, (int)body["total_pages"]!);
        Assert.Equal(2, (int)body["page"]!);
        Assert.Equal(2, body["items"]!.AsArray().Count);

        (r, body) = await _s.Send(HttpMethod.Patch, "/api/v1/sessions/chat-1", """{"title": "Refund #2", "metadata": null}""");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("Refund #2", (string?)body!["title"]);
        Assert.Null(body["metadata"]);

        (r, body) = await _s.Send(HttpMethod.Post, "/api/v1/sessions/chat-1/end");
        Assert.Equal("ended", (string?)body!["status"]);
        Assert.NotNull((string?)body["ended_at"]);

        (r, _) = await _s.Send(HttpMethod.Delete, "/api/v1/sessions/chat-1");
        Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
        (r, body) = await _s.Send(HttpMethod.Get, "/api/v1/sessions/chat-1");
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType!.MediaType);
        Assert.Equal(404, (int)body!["status"]!);
    }

    [Fact]
    public async Task messages_are_logged_singly_and_in_batches_and_read_back_by_cursor()
    {
        await _s.Send(HttpMethod.Post, "/api/v1/sessions", """{"id": "s"}""");
        var (r, one) = await _s.Send(HttpMethod.Post, "/api/v1/sessions/s/messages", """{"sender_type": "user", "content": "hi", "idempotency_key": "k1"}""");
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        Assert.Equal("inbound", (string?)one!["direction"]);
        Assert.Equal("delivered", (string?)one["status"]);
        (r, var again) = await _s.Send(HttpMethod.Post, "/api/v1/sessions/s/messages", """{"sender_type": "user", "content": "changed", "idempotency_key": "k1"}""");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal((string?)one["id"], (string?)again!["id"]);

        var batch = new JsonObject { ["messages"] = new JsonArray([.. Enumerable.Range(0, 30).Select(i => (JsonNode)new JsonObject { ["sender_type"] = "agent", ["channel"] = "sms", ["content"] = $"m{i}" })]) };
        (r, var logged) = await _s.Send(HttpMethod.Post, "/api/v1/sessions/s/messages", batch.ToJsonString());
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"m{i}"), logged!["messages"]!.AsArray().Select(m => (string?)m!["content"]));

        var seen = new List<string?>();
        string? cursor = null;
        do
        {
            var (_, page) = await _s.Send(HttpMethod.Get, $"/api/v1/sessions/s/messages?limit=7{(cursor is null ? "" : "&cursor=" + cursor)}");
            seen.AddRange(page!["items"]!.AsArray().Select(m => (string?)m!["content"]));
            cursor = (string?)page["next_cursor"];
        } while (cursor is not null);
        Assert.Equal(["hi", .. Enumerable.Range(0, 30).Select(i => $"m{i}")], seen);

        var (_, desc) = await _s.Send(HttpMethod.Get, "/api/v1/sessions/s/messages?order=desc&limit=1");
        Assert.Equal("m29", (string?)desc!["items"]![0]!["content"]);
        var (_, search) = await _s.Send(HttpMethod.Get, "/api/v1/messages?channel=sms&limit=200");
        Assert.Equal(30, search!["items"]!.AsArray().Count);
        Assert.Null(search["next_cursor"]);
    }

    [Fact]
    public async Task status_reports_answer_their_outcome_and_a_refused_cancel_is_409()
    {
        await _s.Send(HttpMethod.Post, "/api/v1/sessions", """{"id": "s"}""");
        var (_, m) = await _s.Send(HttpMethod.Post, "/api/v1/sessions/s/messages", """{"sender_type": "system", "channel": "sms", "content": "code", "provider_message_id": "SM1"}""");
        var id = (string)m!["id"]!;
        var (r, result) = await _s.Send(HttpMethod.Post, $"/api/v1/messages/{id}/status", """{"status": "delivered", "at": "2026-11-23T10:00:00.123+02:00"}""");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("applied", (string?)result!["outcome"]);
        Assert.Equal("2026-11-23T08:00:00.123Z", (string?)result["message"]!["delivered_at"]);
        (r, result) = await _s.Send(HttpMethod.Post, $"/api/v1/messages/{id}/status", """{"status": "sent", "at": "2026-11-23T07:59:00Z"}""");
        Assert.Equal("stale", (string?)result!["outcome"]);
        (r, result) = await _s.Send(HttpMethod.Post, $"/api/v1/messages/{id}/status", """{"status": "cancelled"}""");
        Assert.Equal(HttpStatusCode.Conflict, r.StatusCode);
        Assert.Equal(409, (int)result!["status"]!);

        var (_, full) = await _s.Send(HttpMethod.Get, $"/api/v1/messages/{id}");
        Assert.Equal(["delivered", "sent"], full!["events"]!.AsArray().Select(e => (string?)e!["status"]));
        Assert.Equal([true, false], full["events"]!.AsArray().Select(e => (bool)e!["applied"]!));
    }

    [Fact]
    public async Task a_batch_of_reports_gives_one_result_each_and_a_bad_one_fails_alone()
    {
        await _s.Send(HttpMethod.Post, "/api/v1/sessions", """{"id": "s"}""");
        var (_, m) = await _s.Send(HttpMethod.Post, "/api/v1/sessions/s/messages", """{"sender_type": "system", "channel": "whatsapp", "content": "x", "provider_message_id": "wamid.1"}""");
        var (r, body) = await _s.Send(HttpMethod.Post, "/api/v1/status-reports", """
            {"reports": [
              {"provider_message_id": "wamid.1", "status": "read"},
              {"provider_message_id": "wamid.unknown", "status": "delivered"},
              {"message_id": "nope", "status": "sent"},
              {"provider_message_id": "wamid.1", "status": "bogus"},
              {"message_id": "MID", "status": "delivered"}
            ]}
            """.Replace("MID", (string)m!["id"]!, StringComparison.Ordinal), offContract: true); // "bogus" is off the document, and fails alone

        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var results = body!["results"]!.AsArray();
        Assert.Equal("applied", (string?)results[0]!["outcome"]);
        Assert.True((bool)results[1]!["parked"]!);
        Assert.Equal(404, (int)results[2]!["error"]!["status"]!);
        Assert.Equal(400, (int)results[3]!["error"]!["status"]!);
        Assert.Equal("stale", (string?)results[4]!["outcome"]);
    }

    [Fact]
    public async Task read_markers_answer_how_many_messages_they_marked()
    {
        await _s.Send(HttpMethod.Post, "/api/v1/sessions", """{"id": "s"}""");
        for (var i = 0; i < 3; i++) await _s.Send(HttpMethod.Post, "/api/v1/sessions/s/messages", """{"sender_type": "user", "content": "?"}""");
        var (r, body) = await _s.Send(HttpMethod.Post, "/api/v1/sessions/s/read", """{"reader": "agent"}""");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal(3, (int)body!["marked"]!);
        var (_, session) = await _s.Send(HttpMethod.Get, "/api/v1/sessions/s");
        Assert.Equal(0, (int)session!["summary"]!["unread_for_agent"]!);
    }

    [Fact]
    public async Task health_metrics_system_and_openapi_answer()
    {
        var (r, ready) = await _s.Send(HttpMethod.Get, "/health/ready");
        Assert.Equal("ready", (string?)ready!["status"]);
        Assert.True((bool)ready["schema"]!["verified"]!);
        Assert.Equal(HttpStatusCode.OK, (await _s.Http.GetAsync("/health/live")).StatusCode);
        await _s.Send(HttpMethod.Post, "/api/v1/sessions", "{}");
        var metrics = await _s.Http.GetStringAsync("/metrics");
        Assert.Contains("parley_http_requests_total{method=\"POST\",route=\"/api/v1/sessions\",status=\"201\"} 1", metrics);
        Assert.Contains("parley_commit_seconds_bucket{le=\"+Inf\"}", metrics);
        Assert.Contains("parley_commit_batch_size_count", metrics);
        var (_, schema) = await _s.Send(HttpMethod.Get, "/api/v1/system/schema");
        Assert.Equal(Parley.Internal.Schema.ParleySchema.Head, (int)schema!["version"]!);
        Assert.Empty(schema["drift"]!.AsArray());
        var (_, events) = await _s.Send(HttpMethod.Get, "/api/v1/system/events?level=info");
        Assert.Contains(events!["items"]!.AsArray(), e => (string?)e!["event"] == "migration_applied");
        var (_, openapi) = await _s.Send(HttpMethod.Get, "/openapi/v1.json");
        foreach (var path in new[] { "/api/v1/sessions", "/api/v1/sessions/{id}", "/api/v1/sessions/{id}/messages", "/api/v1/messages/{id}/status", "/api/v1/status-reports", "/api/v1/events" })
            Assert.NotNull(openapi!["paths"]![path]);
    }

    [Fact]
    public async Task a_batch_report_naming_another_channel_than_its_message_is_refused_like_a_single_one()
    {
        await _s.Send(HttpMethod.Post, "/api/v1/sessions", """{"id": "ch"}""");
        var (_, m) = await _s.Send(HttpMethod.Post, "/api/v1/sessions/ch/messages", """{"sender_type": "agent", "channel": "sms", "content": "x"}""");
        var id = (string)m!["id"]!;
        var (single, _) = await _s.Send(HttpMethod.Post, $"/api/v1/messages/{id}/status", """{"status": "sent", "channel": "whatsapp"}""");
        Assert.Equal(HttpStatusCode.BadRequest, single.StatusCode);
        var (_, batch) = await _s.Send(HttpMethod.Post, "/api/v1/status-reports", $$"""{"reports": [{"message_id": "{{id}}", "status": "sent", "channel": "whatsapp"}]}""");
        Assert.Equal(400, (int)batch!["results"]![0]!["error"]!["status"]!);
        Assert.Contains("channel", (string?)batch["results"]![0]!["error"]!["detail"], StringComparison.Ordinal);
        var (_, stored) = await _s.Send(HttpMethod.Get, $"/api/v1/messages/{id}");
        Assert.Equal("pending", (string?)stored!["status"]);
        Assert.Empty(stored["events"]!.AsArray());
    }

    // The next `count` events of a Server-Sent Events stream (within 20 s).
    private static async Task<List<(string Event, JsonNode Data)>> ReadEventsAsync(StreamReader reader, int count)
    {
        var events = new List<(string Event, JsonNode Data)>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        string? name = null;
        while (events.Count < count && await reader.ReadLineAsync(cts.Token) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal)) name = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal)) events.Add((name!, JsonNode.Parse(line[6..])!));
        }
        return events;
    }

    [Fact]
    public async Task server_sent_events_stream_logged_messages_and_status_changes()
    {
        await _s.Send(HttpMethod.Post, "/api/v1/sessions", """{"id": "s"}""");
        // From the server itself: the contract proxy passes an answer on only once it has ended (docs/http-api.md, "The OpenAPI document").
        using var stream = await _s.Direct.GetStreamAsync("/api/v1/events");
        using var reader = new StreamReader(stream);
        Assert.Equal(": connected", await reader.ReadLineAsync());
        var (_, m) = await _s.Send(HttpMethod.Post, "/api/v1/sessions/s/messages", """{"sender_type": "agent", "content": "live"}""");
        await _s.Send(HttpMethod.Post, $"/api/v1/messages/{m!["id"]}/status", """{"status": "sent"}""");
        await _s.Send(HttpMethod.Post, "/api/v1/sessions/s/end");
        var events = await ReadEventsAsync(reader, 3);
        Assert.Equal(["message.logged", "message.status", "session.ended"], events.Select(e => e.Event));
        Assert.Equal("live", (string?)events[0].Data["content"]);
        Assert.Equal("applied", (string?)events[1].Data["outcome"]);
        Assert.Equal("ended", (string?)events[2].Data["status"]);
    }

    [Fact]
    public async Task server_sent_events_describe_each_tenants_session_when_two_tenants_hold_its_id()
    {
        // From the server itself: the contract proxy passes an answer on only once it has ended (docs/http-api.md, "The OpenAPI document").
        using var stream = await _s.Direct.GetStreamAsync("/api/v1/events");
        using var reader = new StreamReader(stream);
        Assert.Equal(": connected", await reader.ReadLineAsync());
        await _s.Send(HttpMethod.Post, "/api/v1/sessions", """{"id": "dup", "tenant": "acme", "title": "acme's"}""");
        await _s.Send(HttpMethod.Post, "/api/v1/sessions", """{"id": "dup", "tenant": "globex", "title": "globex's"}""");
        await _s.Send(HttpMethod.Post, "/api/v1/sessions/dup/end?tenant=globex");
        var events = await ReadEventsAsync(reader, 3);
        Assert.Equal(["session.created", "session.created", "session.ended"], events.Select(e => e.Event));
        Assert.Equal(["acme", "globex", "globex"], events.Select(e => (string?)e.Data["tenant"]));
        Assert.Equal("globex's", (string?)events[2].Data["title"]);
        Assert.Equal("ended", (string?)events[2].Data["status"]);
    }
}

[Trait("Engine", "sqlite")]
public sealed class ServerApiTestsOnSqlite() : ServerApiTests(TestDatabases.Sqlite);

[Trait("Engine", "postgres")]
public sealed class ServerApiTestsOnPostgres() : ServerApiTests(TestDatabases.Postgres);

[Trait("Engine", "mysql")]
public sealed class ServerApiTestsOnMySql() : ServerApiTests(TestDatabases.MySql);
