using System.Text.Json.Nodes;

namespace Parley.Tests;

/// <summary>Bad input for every field: an <see cref="ArgumentException"/> naming the field, and nothing written.</summary>
public abstract class ValidationTests(string engine) : IAsyncLifetime
{
    private TempLedger _t = null!;
    public async Task InitializeAsync()
    {
        _t = await TempLedger.OpenAsync(engine);
        await _t.NewSessionAsync("s");
    }
    public async Task DisposeAsync() => await _t.DisposeAsync();

    private static readonly NewMessage Good = new() { SenderType = SenderType.Agent, Content = "ok" };
    private static string Long(int n) => new('x', n);
    private const string LoneSurrogate = "bad \ud800 text";

    public static TheoryData<string, NewMessage> BadMessages => new()
    {
        { "id", Good with { Id = "" } },
        { "id", Good with { Id = "has space" } },
        { "id", Good with { Id = Long(65) } },
        { "idempotency_key", Good with { IdempotencyKey = Long(129) } },
        { "idempotency_key", Good with { IdempotencyKey = "" } },
        { "direction", Good with { Direction = (Direction)9 } },
        { "direction", new NewMessage { Content = "neither direction nor sender" } },
        { "sender_type", Good with { SenderType = (SenderType)9 } },
        { "sender_id", Good with { SenderId = Long(256) } },
        { "sender_name", Good with { SenderName = LoneSurrogate } },
        { "channel", Good with { Channel = "SMS" } },
        { "channel", Good with { Channel = "" } },
        { "channel", Good with { Channel = Long(33) } },
        { "channel", Good with { Channel = "e mail" } },
        { "recipient", Good with { Recipient = Long(321) } },
        { "template", Good with { Template = Long(129) } },
        { "subject", Good with { Subject = Long(999) } },
        { "content", Good with { Content = null } },
        { "content", Good with { Content = new string('é', 600_000) } },
        { "content", Good with { Content = "nul \0 inside" } },
        { "content", Good with { Content = LoneSurrogate } },
        { "status", Good with { Status = (MessageStatus)42 } },
        { "provider_message_id", Good with { ProviderMessageId = Long(256) } },
        { "error_code", Good with { ErrorCode = "E1" } },
        { "error_code", Good with { Status = MessageStatus.Failed, ErrorCode = Long(129) } },
        { "error_message", Good with { Status = MessageStatus.Failed, ErrorMessage = Long(4001) } },
        { "metadata", Good with { Metadata = new JsonObject { ["big"] = Long(70_000) } } },
        { "metadata", Good with { Metadata = new JsonObject { ["text"] = LoneSurrogate } } },
        { "metadata", Good with { Metadata = new JsonObject { [LoneSurrogate] = 1 } } },
        { "metadata", Good with { Metadata = new JsonObject { ["nul"] = "a\0b" } } },
        { "metadata", Good with { Metadata = new JsonObject { ["nested"] = new JsonArray("ok", "a\0b") } } },
        { "metadata", Good with { Metadata = JsonNode.Parse("{\"huge\": 1e999999}")!.AsObject() } },
        { "metadata", Good with { Metadata = JsonNode.Parse("{\"twice\": 1, \"twice\": 2}")!.AsObject() } },
        { "metadata", Good with { Metadata = JsonNode.Parse("{\"x\": [{\"deep\": {\"twice\": 1, \"twice\": 1}}]}")!.AsObject() } },
        { "metadata", Good with { Metadata = JsonNode.Parse("{\"x\": {\"escaped\": \"\\ud800\"}}")!.AsObject() } },
        { "id", Good with { Id = "." } },
        { "id", Good with { Id = ".." } },
        { "source", Good with { Source = "Not Slug" } },
    };

    [Theory]
    [MemberData(nameof(BadMessages))]
    public async Task a_bad_message_field_is_refused_by_name_and_nothing_is_written(string field, NewMessage message)
    {
        var e = await Assert.ThrowsAnyAsync<ArgumentException>(() => _t.Ledger.LogMessageAsync("s", message));
        Assert.Equal(field, e.ParamName);
        Assert.Equal(0, _t.Scalar("SELECT count(*) FROM parley_messages"));
        Assert.Equal(0, _t.Scalar("SELECT message_count FROM parley_sessions"));
    }

    [Fact]
    public async Task content_of_exactly_one_mebibyte_is_accepted()
    {
        var m = await _t.Ledger.LogMessageAsync("s", Good with { Content = new string('a', 1024 * 1024) });
        Assert.Equal(1024 * 1024, (await _t.Ledger.GetMessageAsync(m.Message.Id))!.Content.Length);
    }

    public static TheoryData<string, NewSession> BadSessions => new()
    {
        { "id", new NewSession { Id = "slash/inside" } },
        { "id", new NewSession { Id = Long(65) } },
        { "kind", new NewSession { Kind = "" } },
        { "kind", new NewSession { Kind = Long(33) } },
        { "title", new NewSession { Title = Long(201) } },
        { "tenant", new NewSession { Tenant = Long(129) } },
        { "user_account", new NewSession { UserAccount = Long(256) } },
        { "metadata", new NewSession { Metadata = new JsonObject { ["x"] = Long(70_000) } } },
        { "metadata", new NewSession { Metadata = new JsonObject { ["x"] = LoneSurrogate } } },
        { "metadata", new NewSession { Metadata = new JsonObject { ["x"] = double.PositiveInfinity } } },
        { "id", new NewSession { Id = "." } },
        { "id", new NewSession { Id = ".." } },
    };

    [Theory]
    [MemberData(nameof(BadSessions))]
    public async Task a_bad_session_field_is_refused_by_name_and_nothing_is_written(string field, NewSession session)
    {
        var e = await Assert.ThrowsAnyAsync<ArgumentException>(() => _t.Ledger.CreateSessionAsync(session));
        Assert.Equal(field, e.ParamName);
        Assert.Equal(1, _t.Scalar("SELECT count(*) FROM parley_sessions"));
    }

    public static TheoryData<string, StatusReport> BadReports => new()
    {
        { "status", new StatusReport { Status = (MessageStatus)77 } },
        { "error_code", new StatusReport { Status = MessageStatus.Delivered, ErrorCode = "E" } },
        { "provider_message_id", new StatusReport { Status = MessageStatus.Sent, ProviderMessageId = "" } },
        { "channel", new StatusReport { Status = MessageStatus.Sent, Channel = "Bad Channel" } },
        { "detail", new StatusReport { Status = MessageStatus.Sent, Detail = new JsonObject { ["x"] = Long(70_000) } } },
        { "source", new StatusReport { Status = MessageStatus.Sent, Source = "" } },
    };

    [Theory]
    [MemberData(nameof(BadReports))]
    public async Task a_bad_report_field_is_refused_by_name_and_nothing_is_written(string field, StatusReport report)
    {
        var id = (await _t.Ledger.LogMessageAsync("s", Good)).Message.Id;
        var e = await Assert.ThrowsAnyAsync<ArgumentException>(() => _t.Ledger.ReportStatusAsync(id, report));
        Assert.Equal(field, e.ParamName);
        Assert.Equal(0, _t.Scalar("SELECT count(*) FROM parley_message_events"));
        Assert.Equal("pending", _t.ScalarText("SELECT status FROM parley_messages"));
    }

    [Fact]
    public async Task a_report_for_an_unknown_message_is_not_found()
    {
        var e = await Assert.ThrowsAsync<ParleyNotFoundException>(() => _t.Ledger.ReportStatusAsync("nope", new StatusReport { Status = MessageStatus.Sent }));
        Assert.Equal("message_id", e.ParamName);
    }

    [Fact]
    public async Task sql_looking_text_is_stored_as_text()
    {
        const string evil = "'; DROP TABLE parley_messages; --";
        var s = (await _t.Ledger.CreateSessionAsync(new NewSession { Title = evil })).Session;
        var m = await _t.Ledger.LogMessageAsync(s.Id, Good with { Content = evil, Recipient = evil });
        Assert.Equal(evil, (await _t.Ledger.GetMessageAsync(m.Message.Id))!.Content);
        Assert.Single((await _t.Ledger.ListSessionsAsync(new SessionQuery { Text = "DROP TABLE" })).Items);
        Assert.Single((await _t.Ledger.SearchMessagesAsync(new MessageQuery { Recipient = evil })).Items);
    }
}

[Trait("Engine", "sqlite")]
public sealed class ValidationTestsOnSqlite() : ValidationTests(TestDatabases.Sqlite);

[Trait("Engine", "postgres")]
public sealed class ValidationTestsOnPostgres() : ValidationTests(TestDatabases.Postgres);

[Trait("Engine", "mysql")]
public sealed class ValidationTestsOnMySql() : ValidationTests(TestDatabases.MySql);
