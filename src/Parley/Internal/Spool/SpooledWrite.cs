using System.Text.Json;
using System.Text.Json.Serialization;
using Parley.Internal.Kernel;
using Parley.Internal.Messages;
using Parley.Internal.Reports;
using Parley.Internal.Sessions;
using Parley.Internal.SystemEvents;

namespace Parley.Internal.Spool;

/// <summary>A write as kept in the spool: everything its operation needs, with ids and times already assigned, so
/// that replaying it later (or twice, after a crash between the commit and the spool's position) stores exactly what
/// the caller was told. One record per caller's call; JSON, so that <c>.rejected</c> and <c>.torn</c> files can be
/// read by an operator.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "op")]
[JsonDerivedType(typeof(SpooledSession), "create_session")]
[JsonDerivedType(typeof(SpooledMessages), "log_messages")]
[JsonDerivedType(typeof(SpooledReport), "report_status")]
[JsonDerivedType(typeof(SpooledReports), "report_statuses")]
[JsonDerivedType(typeof(SpooledSystemEvent), "system_event")]
internal abstract record SpooledWrite
{
    /// <summary>The tenant key the caller was confined to, or null (absent in records written before tenants had
    /// namespaces) for a caller that was not.</summary>
    public string? Scope { get; init; }

    /// <summary>The operation that replays it.</summary>
    public abstract WriteOp ToOp();

    public byte[] Encode() => JsonSerializer.SerializeToUtf8Bytes(this, SpoolJson.Default.SpooledWrite);

    public static SpooledWrite Decode(byte[] payload) =>
        JsonSerializer.Deserialize(payload, SpoolJson.Default.SpooledWrite) ?? throw new JsonException("an empty spool record");
}

internal sealed record SpooledSession(string Id, string Kind, string? Title, string? Tenant, string? UserAccount, string? Metadata,
    DateTimeOffset StartedAt, DateTimeOffset UpdatedAt) : SpooledWrite
{
    public static SpooledSession Of(SessionRow r) => new(r.Id, r.Kind, r.Title, r.Tenant, r.UserAccount, r.MetadataJson, r.StartedAt, r.UpdatedAt);

    public SessionRow ToRow() => new()
    {
        Id = Id, Kind = Kind, Title = Title, Tenant = Tenant, UserAccount = UserAccount, MetadataJson = Metadata,
        Status = SessionStatus.Active, StartedAt = StartedAt, UpdatedAt = UpdatedAt,
    };

    public override WriteOp ToOp() => new CreateSessionOp(ToRow());
}

internal sealed record SpooledMessage(string Id, string? IdempotencyKey, Direction Direction, SenderType SenderType, string? SenderId,
    string? SenderName, string Channel, string? Recipient, string? Template, string? Subject, string Content, string? ProviderMessageId,
    string? Metadata, DateTimeOffset CreatedAt, ValidReport? Initial)
{
    public static SpooledMessage Of(PlannedMessage p)
    {
        var m = p.Row;
        return new(m.Id, m.IdempotencyKey, m.Direction, m.SenderType, m.SenderId, m.SenderName, m.Channel, m.Recipient, m.Template,
            m.Subject, m.Content, m.ProviderMessageId, m.MetadataJson, m.CreatedAt, p.Initial);
    }

    // The id was assigned before spooling, so a replay looks it up like a client-given one: a second replay of the
    // same record finds the stored message instead of inserting it again.
    public PlannedMessage ToPlanned(string sessionId) => new(new MessageRow
    {
        Id = Id, SessionId = sessionId, IdempotencyKey = IdempotencyKey, Direction = Direction, SenderType = SenderType,
        SenderId = SenderId, SenderName = SenderName, Channel = Channel, Recipient = Recipient, Template = Template, Subject = Subject,
        Content = Content, ProviderMessageId = ProviderMessageId, MetadataJson = Metadata, CreatedAt = CreatedAt, UpdatedAt = CreatedAt,
    }, ClientGaveId: true, Initial);
}

internal sealed record SpooledMessages(string SessionId, SpooledMessage[] Messages) : SpooledWrite
{
    public override WriteOp ToOp() => new LogMessagesOp(Scope, SessionId, [.. Messages.Select(m => m.ToPlanned(SessionId))]);
}

internal sealed record SpooledReport(string MessageId, ValidReport Report) : SpooledWrite
{
    public override WriteOp ToOp() => new ReportStatusOp(Scope, MessageId, Report);
}

internal sealed record SpooledKeyedReport(string? MessageId, ValidReport Report);

internal sealed record SpooledReports(SpooledKeyedReport[] Reports) : SpooledWrite
{
    public override WriteOp ToOp() => new ReportBatchOp(Scope, [.. Reports.Select(r => (r.MessageId, (ValidReport?)r.Report, (Exception?)null))]);
}

internal sealed record SpooledSystemEvent(SystemEventLevel Level, string Source, string Event, string? Detail, DateTimeOffset At) : SpooledWrite
{
    public override WriteOp ToOp() => new SystemEventOp(Level, Source, Event, Detail, At);
}

[JsonSourceGenerationOptions(UseStringEnumConverter = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SpooledWrite))]
internal sealed partial class SpoolJson : JsonSerializerContext;
