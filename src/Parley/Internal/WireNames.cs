namespace Parley.Internal;

/// <summary>The names enums have in the database and on the wire: lowercase, snake_case
/// (docs/http-api.md, "Conventions").</summary>
internal static class WireNames
{
    private static readonly string[] Statuses = ["pending", "sending", "sent", "failed", "delivered", "read", "cancelled"];
    private static readonly string[] Directions = ["outbound", "inbound"];
    private static readonly string[] Senders = ["user", "agent", "ai", "system"];
    private static readonly string[] SessionStatuses = ["active", "ended"];
    private static readonly string[] Outcomes = ["applied", "stale", "duplicate"];
    private static readonly string[] Readers = ["agent", "user"];
    private static readonly string[] Levels = ["info", "warning", "error"];

    public static string Of(MessageStatus s) => Statuses[(int)s];
    public static string Of(Direction d) => Directions[(int)d];
    public static string Of(SenderType s) => Senders[(int)s];
    public static string Of(SessionStatus s) => SessionStatuses[(int)s];
    public static string Of(ReportOutcome o) => Outcomes[(int)o];
    public static string Of(Reader r) => Readers[(int)r];
    public static string Of(SystemEventLevel l) => Levels[(int)l];

    public static IReadOnlyList<string> AllStatuses => Statuses;

    public static MessageStatus Status(string s) => (MessageStatus)IndexOf(Statuses, s, "status");
    public static Direction Direction(string s) => (Direction)IndexOf(Directions, s, "direction");
    public static SenderType Sender(string s) => (SenderType)IndexOf(Senders, s, "sender_type");
    public static SessionStatus SessionStatus(string s) => (SessionStatus)IndexOf(SessionStatuses, s, "status");
    public static ReportOutcome Outcome(string s) => (ReportOutcome)IndexOf(Outcomes, s, "outcome");
    public static Reader Reader(string s) => (Reader)IndexOf(Readers, s, "reader");
    public static SystemEventLevel Level(string s) => (SystemEventLevel)IndexOf(Levels, s, "level");

    public static bool TryStatus(string? s, out MessageStatus status)
    {
        var i = s is null ? -1 : Array.IndexOf(Statuses, s);
        status = i < 0 ? default : (MessageStatus)i;
        return i >= 0;
    }

    private static int IndexOf(string[] names, string value, string field)
    {
        var i = Array.IndexOf(names, value);
        return i >= 0
            ? i
            : throw new ArgumentException($"{field} must be one of {string.Join(", ", names)}; got '{value}'.", field);
    }
}
