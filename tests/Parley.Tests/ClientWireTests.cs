using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Parley.Client;

namespace Parley.Tests;

/// <summary>What Parley.Client puts on the wire and reads back, checked on answers the real server does not give
/// today: fields a newer server may add, error pages from something in front of Parley, a server under a prefix.
/// Everything else is checked against a real server (<see cref="ClientTests"/>).</summary>
public class ClientWireTests
{
    private const string StoredMessage = """
        {"id": "m-1", "session_id": "s", "idempotency_key": null, "direction": "outbound", "sender_type": "agent",
         "sender_id": null, "sender_name": null, "channel": "web", "recipient": null, "template": null, "subject": null,
         "content": "hi", "status": "pending", "sent_at": null, "delivered_at": null, "read_at": null, "failed_at": null,
         "cancelled_at": null, "delivered_implied": false, "provider_message_id": null, "error_code": null,
         "error_message": null, "metadata": null, "created_at": "2026-11-23T10:15:30.123Z",
         "updated_at": "2026-11-23T10:15:30.123Z", "read_by_user": false, "read_by_agent": false,
         "priority": "high", "routing": {"queue": "vip", "hops": [1, 2]}}
        """;

    /// <summary>Answers every request with one canned response and keeps what was sent.</summary>
    private sealed class Canned(HttpStatusCode status, string body, string mediaType = "application/json") : HttpMessageHandler
    {
        public List<(HttpRequestMessage Request, string? Body)> Sent { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Sent.Add((request, request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken)));
            return new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, mediaType), RequestMessage = request };
        }
    }

    private static (ParleyClient Client, Canned Handler) Over(HttpStatusCode status, string body, string mediaType = "application/json", string baseAddress = "http://parley.test/parley")
    {
        var handler = new Canned(status, body, mediaType);
        return (new ParleyClient(new HttpClient(handler), new ParleyClientOptions { BaseAddress = new Uri(baseAddress), ApiKey = "pk_test" }), handler);
    }

    [Fact]
    public async Task fields_a_newer_server_adds_to_an_answer_are_skipped()
    {
        var (parley, _) = Over(HttpStatusCode.OK, StoredMessage);
        var message = await parley.GetMessageAsync("m-1");
        Assert.Equal(("m-1", MessageStatus.Pending, new DateTimeOffset(2026, 11, 23, 10, 15, 30, 123, TimeSpan.Zero)), (message!.Id, message.Status, message.CreatedAt));
    }

    [Fact]
    public async Task a_request_goes_below_the_prefix_with_the_key_the_tenant_and_the_wire_names()
    {
        var (parley, handler) = Over(HttpStatusCode.Created, StoredMessage);
        var logged = await parley.ForTenant("acme").LogMessageAsync("order:1042", new NewMessage
        {
            SenderType = SenderType.Agent, Content = "hi", Status = MessageStatus.Sent, CreatedAt = new DateTimeOffset(2026, 11, 23, 11, 15, 30, 123, TimeSpan.FromHours(1)),
            Metadata = new JsonObject { ["n"] = 1 },
        });
        Assert.True(logged.Created);
        var (request, body) = Assert.Single(handler.Sent);
        Assert.Equal("http://parley.test/parley/api/v1/sessions/order%3A1042/messages?tenant=acme", request.RequestUri!.AbsoluteUri);
        Assert.Equal("Bearer pk_test", request.Headers.Authorization!.ToString());
        Assert.Equal("application/json", request.Content!.Headers.ContentType!.MediaType);
        // Only the fields given, snake_case, enums by name, times in UTC to the millisecond.
        Assert.Equal("""{"sender_type":"agent","content":"hi","status":"sent","metadata":{"n":1},"created_at":"2026-11-23T10:15:30.123Z"}""", body);
    }

    [Fact]
    public async Task an_error_page_that_is_not_a_problem_is_still_a_parley_exception()
    {
        var (parley, _) = Over(HttpStatusCode.BadGateway, "<html>bad gateway</html>", "text/html");
        var gateway = await Assert.ThrowsAsync<ParleyProblemException>(() => parley.ListSessionsAsync());
        Assert.Equal(502, gateway.StatusCode);
        // A 404 that is not Parley's problem+json is no answer about the session: the address has no Parley.
        var (elsewhere, _) = Over(HttpStatusCode.NotFound, "not here", "text/plain");
        var notParley = await Assert.ThrowsAsync<ParleyNotFoundException>(() => elsewhere.GetSessionAsync("s"));
        Assert.Contains("(404, GET /parley/api/v1/sessions/s)", notParley.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_503_without_retry_after_keeps_the_default_and_a_batch_problem_maps_by_status()
    {
        var (parley, _) = Over(HttpStatusCode.OK, """
            {"results": [{"outcome": null, "message_id": "m-1", "parked": null,
              "error": {"type": "https://parley.dev/problems/409", "title": "Conflict", "status": 409, "detail": "provider id 'SM1' is carried by message 'm-2'."}}]}
            """);
        var result = Assert.Single(await parley.ReportStatusesAsync([new KeyedStatusReport { MessageId = "m-1", Report = new StatusReport { Status = MessageStatus.Sent, ProviderMessageId = "SM1" } }]));
        Assert.Contains("carried by message 'm-2'", Assert.IsType<ParleyConflictException>(result.Error).Message, StringComparison.Ordinal);
        var (down, _) = Over(HttpStatusCode.ServiceUnavailable, """{"type": "https://parley.dev/problems/503", "title": "Unavailable", "status": 503, "detail": "later"}""", "application/problem+json");
        Assert.Equal(new ParleyUnavailableException().RetryAfter, (await Assert.ThrowsAsync<ParleyUnavailableException>(() => down.GetSessionAsync("s"))).RetryAfter);
    }

    [Fact]
    public async Task a_client_needs_an_absolute_address_and_ids_that_are_ids()
    {
        Assert.Throws<ArgumentException>(() => new ParleyClient(new HttpClient()));
        var (parley, handler) = Over(HttpStatusCode.OK, "{}");
        await Assert.ThrowsAsync<ArgumentException>(() => parley.GetSessionAsync(".."));
        await Assert.ThrowsAsync<ArgumentException>(() => parley.DeleteSessionAsync(""));
        Assert.Empty(handler.Sent);
    }
}
