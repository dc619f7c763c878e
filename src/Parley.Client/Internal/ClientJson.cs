using System.Text.Json.Serialization;

namespace Parley.Client.Internal;

/// <summary>The wire format of docs/http-api.md, "Conventions", generated at compile time: snake_case names, enums as
/// their lowercase names, numbers as JSON numbers, times as RFC 3339 UTC with milliseconds. Unlike the server, fields
/// the client does not know are skipped, so a newer server may add fields to its answers.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    NumberHandling = JsonNumberHandling.Strict,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    Converters =
    [
        typeof(TimestampConverter),
        typeof(WireEnumConverter<MessageStatus>),
        typeof(WireEnumConverter<Direction>),
        typeof(WireEnumConverter<SenderType>),
        typeof(WireEnumConverter<SessionStatus>),
        typeof(WireEnumConverter<ReportOutcome>),
        typeof(WireEnumConverter<Reader>),
        typeof(WireEnumConverter<SystemEventLevel>),
    ])]
[JsonSerializable(typeof(NewSession))]
[JsonSerializable(typeof(Session))]
[JsonSerializable(typeof(PageBody<Session>), TypeInfoPropertyName = "SessionPage")]
[JsonSerializable(typeof(NewMessage))]
[JsonSerializable(typeof(NewMessagesBody))]
[JsonSerializable(typeof(Message))]
[JsonSerializable(typeof(MessagesBody))]
[JsonSerializable(typeof(CursorPage<Message>), TypeInfoPropertyName = "MessagePage")]
[JsonSerializable(typeof(StatusReport))]
[JsonSerializable(typeof(StatusReportResult))]
[JsonSerializable(typeof(ReportsBody))]
[JsonSerializable(typeof(BatchResultsBody))]
[JsonSerializable(typeof(ReadMarker))]
[JsonSerializable(typeof(MarkedBody))]
[JsonSerializable(typeof(ItemsBody<SystemEvent>), TypeInfoPropertyName = "SystemEvents")]
[JsonSerializable(typeof(ReadyBody))]
[JsonSerializable(typeof(ProblemBody))]
[JsonSerializable(typeof(StatsReportWire))]
[JsonSerializable(typeof(DailyWire))]
[JsonSerializable(typeof(ItemsBody<ErrorCodeStats>), TypeInfoPropertyName = "ErrorStats")]
internal sealed partial class ClientJson : JsonSerializerContext;
