using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using nietras.SeparatedValues;
using Parley.Internal.Messages;
using Parley.Internal.Reports;
using Parley.Internal.Sessions;

namespace Parley.Internal.Transfer;

/// <summary>Writes one export format into a buffer that <see cref="Export"/> drains to the output after every page, so
/// memory holds one page whatever the size of the export.</summary>
internal abstract class ExportFormatWriter : IDisposable
{
    protected ExportFormatWriter(MemoryStream buffer) => Buffer = buffer;

    protected MemoryStream Buffer { get; }

    protected static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    public virtual void Header(JsonElement header)
    {
    }

    public virtual void Session(SessionRow session)
    {
    }

    public abstract void Message(MessageRow message, SessionRow session, List<EventRow>? events);

    public virtual void Trailer(string trailerLine)
    {
    }

    /// <summary>Moves what was written into <see cref="Buffer"/>.</summary>
    public abstract void Flush();

    public abstract void Dispose();

    public static ExportFormatWriter For(ExportOptions options, MemoryStream buffer) => options.Format switch
    {
        ExportFormat.Csv => new CsvExport(buffer, options.Raw, options.Bom),
        ExportFormat.Json => new JsonExport(buffer),
        _ => new NdjsonExport(buffer),
    };

    /// <summary>A message as <c>GET /api/v1/messages/{id}</c> answers it (docs/http-api.md, "Messages").</summary>
    protected static void WriteApiMessage(Utf8JsonWriter w, MessageRow m, SessionRow session, List<EventRow>? events)
    {
        var message = Mapping.ToMessage(m, session.AgentReadSeq, session.UserReadSeq);
        w.WriteStartObject();
        w.WriteString("id", message.Id);
        w.WriteString("session_id", message.SessionId);
        Str(w, "idempotency_key", message.IdempotencyKey);
        w.WriteString("direction", WireNames.Of(message.Direction));
        w.WriteString("sender_type", WireNames.Of(message.SenderType));
        Str(w, "sender_id", message.SenderId);
        Str(w, "sender_name", message.SenderName);
        w.WriteString("channel", message.Channel);
        Str(w, "recipient", message.Recipient);
        Str(w, "template", message.Template);
        Str(w, "subject", message.Subject);
        w.WriteString("content", message.Content);
        w.WriteString("status", WireNames.Of(message.Status));
        Time(w, "sent_at", message.SentAt);
        Time(w, "delivered_at", message.DeliveredAt);
        Time(w, "read_at", message.ReadAt);
        Time(w, "failed_at", message.FailedAt);
        Time(w, "cancelled_at", message.CancelledAt);
        w.WriteBoolean("delivered_implied", message.DeliveredImplied);
        Str(w, "provider_message_id", message.ProviderMessageId);
        Str(w, "error_code", message.ErrorCode);
        Str(w, "error_message", message.ErrorMessage);
        Json(w, "metadata", m.MetadataJson);
        Time(w, "created_at", message.CreatedAt);
        Time(w, "updated_at", message.UpdatedAt);
        w.WriteBoolean("read_by_user", message.ReadByUser);
        w.WriteBoolean("read_by_agent", message.ReadByAgent);
        w.WriteStartArray("events");
        foreach (var e in events ?? [])
        {
            w.WriteStartObject();
            w.WriteNumber("id", e.Id);
            w.WriteString("message_id", e.MessageId);
            w.WriteString("status", WireNames.Of(e.Status));
            Time(w, "occurred_at", e.OccurredAt);
            Time(w, "recorded_at", e.RecordedAt);
            w.WriteString("source", e.Source);
            Str(w, "error_code", e.ErrorCode);
            Str(w, "error_message", e.ErrorMessage);
            Json(w, "detail", e.DetailJson);
            w.WriteBoolean("applied", e.Outcome == ReportOutcome.Applied);
            w.WriteString("outcome", WireNames.Of(e.Outcome));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    protected static void Str(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null) w.WriteNull(name);
        else w.WriteString(name, value);
    }

    protected static void Time(Utf8JsonWriter w, string name, DateTimeOffset? value)
    {
        if (value is { } t) w.WriteString(name, Timestamps.ToText(t));
        else w.WriteNull(name);
    }

    /// <summary>A stored JSON document as JSON (not as a string holding it).</summary>
    protected static void Json(Utf8JsonWriter w, string name, string? json)
    {
        w.WritePropertyName(name);
        if (json is null) w.WriteNullValue();
        else w.WriteRawValue(json, skipInputValidation: false);
    }
}

/// <summary>NDJSON (docs/transfer.md, "NDJSON"): every stored field of sessions, messages and events, one object a
/// line, with a running SHA-256 over every byte before the trailer.</summary>
internal sealed class NdjsonExport : ExportFormatWriter
{
    private readonly Utf8JsonWriter _w;

    public NdjsonExport(MemoryStream buffer) : base(buffer) => _w = new Utf8JsonWriter(buffer, JsonOptions);

    public override void Header(JsonElement header) => Line(() => header.WriteTo(_w));

    public override void Session(SessionRow s) => Line(() =>
    {
        _w.WriteStartObject();
        _w.WriteString("type", NdjsonLines.Session);
        _w.WriteString("id", s.Id);
        Str(_w, "tenant", s.Tenant);
        _w.WriteString("kind", s.Kind);
        Str(_w, "title", s.Title);
        Str(_w, "user_account", s.UserAccount);
        _w.WriteString("status", WireNames.Of(s.Status));
        Time(_w, "started_at", s.StartedAt);
        Time(_w, "ended_at", s.EndedAt);
        Time(_w, "updated_at", s.UpdatedAt);
        Json(_w, "metadata", s.MetadataJson);
        _w.WriteNumber("agent_read_seq", s.AgentReadSeq);
        _w.WriteNumber("user_read_seq", s.UserReadSeq);
        _w.WriteEndObject();
    });

    public override void Message(MessageRow m, SessionRow session, List<EventRow>? events)
    {
        Line(() =>
        {
            var d = m.Delivery;
            _w.WriteStartObject();
            _w.WriteString("type", NdjsonLines.Message);
            _w.WriteString("id", m.Id);
            _w.WriteString("session_id", m.SessionId);
            _w.WriteNumber("session_seq", m.SessionSeq);
            Str(_w, "idempotency_key", m.IdempotencyKey);
            _w.WriteString("direction", WireNames.Of(m.Direction));
            _w.WriteString("sender_type", WireNames.Of(m.SenderType));
            Str(_w, "sender_id", m.SenderId);
            Str(_w, "sender_name", m.SenderName);
            _w.WriteString("channel", m.Channel);
            Str(_w, "recipient", m.Recipient);
            Str(_w, "template", m.Template);
            Str(_w, "subject", m.Subject);
            _w.WriteString("content", m.Content);
            _w.WriteString("status", WireNames.Of(d.Status));
            Time(_w, "sent_at", d.SentAt);
            Time(_w, "delivered_at", d.DeliveredAt);
            Time(_w, "read_at", d.ReadAt);
            Time(_w, "failed_at", d.FailedAt);
            Time(_w, "cancelled_at", d.CancelledAt);
            _w.WriteBoolean("sent_implied", d.SentImplied);
            _w.WriteBoolean("delivered_implied", d.DeliveredImplied);
            Str(_w, "provider_message_id", m.ProviderMessageId);
            Str(_w, "error_code", d.ErrorCode);
            Str(_w, "error_message", d.ErrorMessage);
            Time(_w, "error_at", d.ErrorAt);
            Json(_w, "metadata", m.MetadataJson);
            Time(_w, "created_at", m.CreatedAt);
            Time(_w, "updated_at", m.UpdatedAt);
            _w.WriteEndObject();
        });
        foreach (var e in events ?? [])
        {
            Line(() =>
            {
                _w.WriteStartObject();
                _w.WriteString("type", NdjsonLines.Event);
                _w.WriteString("message_id", e.MessageId);
                _w.WriteString("status", WireNames.Of(e.Status));
                Time(_w, "occurred_at", e.OccurredAt);
                Time(_w, "recorded_at", e.RecordedAt);
                _w.WriteString("source", e.Source);
                Str(_w, "error_code", e.ErrorCode);
                Str(_w, "error_message", e.ErrorMessage);
                Json(_w, "detail", e.DetailJson);
                _w.WriteString("outcome", WireNames.Of(e.Outcome));
                _w.WriteEndObject();
            });
        }
    }

    public override void Trailer(string trailerLine)
    {
        Buffer.Write(Encoding.UTF8.GetBytes(trailerLine));
        Buffer.WriteByte((byte)'\n');
    }

    private void Line(Action write)
    {
        write();
        _w.Flush();
        Buffer.WriteByte((byte)'\n');
        _w.Reset();
    }

    public override void Flush() => _w.Flush();

    public override void Dispose() => _w.Dispose();
}

/// <summary>JSON: one array of messages, each with its events.</summary>
internal sealed class JsonExport(MemoryStream buffer) : ExportFormatWriter(buffer)
{
    private readonly Utf8JsonWriter _w = new(buffer, JsonOptions with { Indented = false });
    private bool _started;

    private void Start()
    {
        if (_started) return;
        _started = true;
        _w.WriteStartArray();
    }

    public override void Header(JsonElement header) => Start();

    public override void Message(MessageRow message, SessionRow session, List<EventRow>? events)
    {
        Start();
        WriteApiMessage(_w, message, session, events);
    }

    public override void Trailer(string trailerLine)
    {
        Start();
        _w.WriteEndArray();
        _w.Flush();
        Buffer.WriteByte((byte)'\n');
    }

    public override void Flush() => _w.Flush();

    public override void Dispose() => _w.Dispose();
}

/// <summary>CSV (docs/transfer.md, "CSV"): RFC 4180 through Sep, CRLF line ends, quoted where a cell needs it; a cell
/// that a spreadsheet would read as a formula gets a leading <c>'</c> unless raw.</summary>
internal sealed class CsvExport : ExportFormatWriter
{
    public static readonly string[] Columns =
    [
        "id", "session_id", "created_at", "direction", "sender_type", "sender_id", "sender_name", "channel", "recipient", "template", "subject",
        "status", "sent_at", "delivered_at", "read_at", "failed_at", "cancelled_at", "provider_message_id", "error_code", "error_message",
        "content", "metadata",
    ];

    private readonly StreamWriter _text;
    private readonly SepWriter _csv;
    private readonly bool _raw;

    public CsvExport(MemoryStream buffer, bool raw, bool bom) : base(buffer)
    {
        _raw = raw;
        _text = new StreamWriter(buffer, new UTF8Encoding(bom), 1 << 16, leaveOpen: true) { NewLine = "\r\n" };
        _csv = Sep.New(',').Writer(o => o with { Escape = true }).To(_text);
        _csv.Header.Add(Columns);
    }

    public override void Message(MessageRow m, SessionRow session, List<EventRow>? events)
    {
        var d = m.Delivery;
        var cells = _cells;
        cells[0] = m.Id;
        cells[1] = m.SessionId;
        cells[2] = Timestamps.ToText(m.CreatedAt);
        cells[3] = WireNames.Of(m.Direction);
        cells[4] = WireNames.Of(m.SenderType);
        cells[5] = m.SenderId;
        cells[6] = m.SenderName;
        cells[7] = m.Channel;
        cells[8] = m.Recipient;
        cells[9] = m.Template;
        cells[10] = m.Subject;
        cells[11] = WireNames.Of(d.Status);
        cells[12] = Timestamps.ToText(d.SentAt);
        cells[13] = Timestamps.ToText(d.DeliveredAt);
        cells[14] = Timestamps.ToText(d.ReadAt);
        cells[15] = Timestamps.ToText(d.FailedAt);
        cells[16] = Timestamps.ToText(d.CancelledAt);
        cells[17] = m.ProviderMessageId;
        cells[18] = d.ErrorCode;
        cells[19] = d.ErrorMessage;
        cells[20] = m.Content;
        cells[21] = m.MetadataJson;
        using var row = _csv.NewRow();
        for (var i = 0; i < cells.Length; i++) row[i].Set(cells[i] is not { } v ? "" : _raw ? v : Safe(v));
    }

    private readonly string?[] _cells = new string?[Columns.Length];

    /// <summary>OWASP's CSV injection rule: a cell starting with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, tab or carriage
    /// return is prefixed with <c>'</c>.</summary>
    public static string Safe(string value) =>
        value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + value : value;

    // Ending the writer writes the header row even when no message followed it.
    public override void Trailer(string trailerLine)
    {
        _ended = true;
        _csv.Dispose();
        _text.Flush();
    }

    private bool _ended;

    public override void Flush()
    {
        if (!_ended) _csv.Flush();
        _text.Flush();
    }

    public override void Dispose()
    {
        if (!_ended) _csv.Dispose();
        _text.Dispose();
    }
}
