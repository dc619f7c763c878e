using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Parley.Internal.Messages;
using Parley.Internal.Reports;
using Parley.Internal.Sessions;

namespace Parley.Internal.Transfer;

/// <summary>One line of an NDJSON export, read (docs/transfer.md, "NDJSON").</summary>
internal abstract record ImportLine(long LineNo);

internal sealed record SessionLine(long LineNo, SessionRow Row) : ImportLine(LineNo);

internal sealed record MessageLine(long LineNo, MessageRow Row) : ImportLine(LineNo);

internal sealed record EventLine(long LineNo, EventRow Row) : ImportLine(LineNo);

/// <summary>A line that is not what its type says (a bad value), reported like a conflict.</summary>
internal sealed record BadLine(long LineNo, string Kind, string Id, string Reason) : ImportLine(LineNo);

/// <summary>Reads the lines of a stream as raw bytes, each without its <c>\n</c>: the checksum covers exactly the bytes
/// written, so nothing is decoded and encoded again before it is hashed.</summary>
internal sealed class RawLines(Stream input) : IDisposable
{
    /// <summary>The longest line taken: a message of 1 MiB of content whose every character JSON escapes as
    /// <c>\uXXXX</c> is under 7 MiB.</summary>
    public const int MaxLine = 16 << 20;

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
    private int _start, _end;
    private bool _eof;

    /// <summary>Whether the last line read ended with <c>\n</c> (a file cut short mid-line does not).</summary>
    public bool LastEnded { get; private set; } = true;

    public async ValueTask<ReadOnlyMemory<byte>?> NextAsync(CancellationToken ct)
    {
        while (true)
        {
            var at = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (at >= 0)
            {
                var line = _buffer.AsMemory(_start, at - _start);
                _start = at + 1;
                LastEnded = true;
                return line;
            }
            if (_eof)
            {
                if (_start == _end) return null;
                var rest = _buffer.AsMemory(_start, _end - _start);
                _start = _end;
                LastEnded = false;
                return rest;
            }
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length)
            {
                if (_buffer.Length >= MaxLine) throw new InvalidDataException($"a line is longer than {MaxLine >> 20} MiB.");
                var bigger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
                Buffer.BlockCopy(_buffer, 0, bigger, 0, _end);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = bigger;
            }
            var n = await input.ReadAsync(_buffer.AsMemory(_end), ct);
            if (n == 0) _eof = true;
            _end += n;
        }
    }

    public void Dispose() => ArrayPool<byte>.Shared.Return(_buffer);
}

/// <summary>What a verified NDJSON export holds, by its trailer.</summary>
internal sealed record NdjsonTrailer(long Sessions, long Messages, long Events, string Sha256, string? NextCursor);

/// <summary>Reads Parley's NDJSON (what <see cref="Export"/> writes): <see cref="VerifyAsync"/> checks a whole file
/// against its trailer before anything is imported; <see cref="LinesAsync"/> turns its lines into rows, each checked
/// as an API call's fields are.</summary>
internal static class NdjsonReader
{
    /// <summary>Reads the whole file: the header must be a Parley export, the last line its trailer, and the SHA-256 of
    /// every line before the trailer and the count of lines must be the trailer's. Every problem is an
    /// <see cref="InvalidDataException"/> that says what is wrong.</summary>
    public static async Task<NdjsonTrailer> VerifyAsync(Stream input, CancellationToken ct)
    {
        using var lines = new RawLines(input);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long count = 0;
        byte[]? pending = null;
        while (await lines.NextAsync(ct) is { } line)
        {
            if (count == 0) Header(line.Span);
            if (pending is not null)
            {
                hash.AppendData(pending);
                hash.AppendData("\n"u8);
            }
            pending = line.ToArray();
            count++;
        }
        if (count == 0) throw new InvalidDataException("the file is empty; it is not a Parley export.");
        if (!lines.LastEnded || !TryTrailer(pending!, out var trailer))
            throw new InvalidDataException("the file ends without its trailer line: it was cut short. Nothing was imported.");
        var sha = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (!string.Equals(sha, trailer.Sha256, StringComparison.Ordinal))
            throw new InvalidDataException("the file's content does not match the checksum in its trailer: it was changed or damaged. Nothing was imported.");
        var rows = count - 2;
        if (rows != trailer.Sessions + trailer.Messages + trailer.Events)
            throw new InvalidDataException($"the file holds {rows} lines between header and trailer, its trailer counts {trailer.Sessions + trailer.Messages + trailer.Events}. Nothing was imported.");
        return trailer;
    }

    private static void Header(ReadOnlySpan<byte> line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line.ToArray());
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("type", out var t) && t.ValueEquals(NdjsonLines.Header) &&
                root.TryGetProperty("format", out var f) && f.ValueEquals(NdjsonLines.Format))
                return;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("format", out var backup) && backup.ValueEquals(Backup.Format))
                throw new InvalidDataException("this is a parley backup file; restore it with parley restore.");
        }
        catch (JsonException)
        {
        }
        throw new InvalidDataException($"the first line is not the header of a Parley export ({NdjsonLines.Format}).");
    }

    private static bool TryTrailer(byte[] line, out NdjsonTrailer trailer)
    {
        trailer = null!;
        try
        {
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            if (r.ValueKind != JsonValueKind.Object || !r.TryGetProperty("type", out var t) || !t.ValueEquals(NdjsonLines.Trailer)) return false;
            var counts = r.GetProperty("counts");
            trailer = new NdjsonTrailer(counts.GetProperty("sessions").GetInt64(), counts.GetProperty("messages").GetInt64(),
                counts.GetProperty("events").GetInt64(), r.GetProperty("sha256").GetString()!,
                r.TryGetProperty("next_cursor", out var c) ? c.GetString() : null);
            return true;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return false;
        }
    }

    /// <summary>The rows of a verified file, in order, with their line numbers; the header and trailer are skipped.</summary>
    public static async IAsyncEnumerable<ImportLine> LinesAsync(Stream input, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        using var lines = new RawLines(input);
        long no = 0;
        while (await lines.NextAsync(ct) is { } line)
        {
            no++;
            if (no == 1) continue;
            var parsed = Parse(line, no);
            if (parsed is null) yield break;
            yield return parsed;
        }
    }

    /// <summary>One line; null for the trailer.</summary>
    private static ImportLine? Parse(ReadOnlyMemory<byte> line, long no)
    {
        string kind = "line", id = "";
        try
        {
            using var doc = JsonDocument.Parse(line);
            var o = doc.RootElement;
            kind = o.GetProperty("type").GetString() ?? "";
            switch (kind)
            {
                case NdjsonLines.Trailer:
                    return null;
                case NdjsonLines.Session:
                    id = Validate.Id(Str(o, "id"), "id");
                    return new SessionLine(no, new SessionRow
                    {
                        Id = id,
                        Tenant = Validate.Text(Str(o, "tenant"), "tenant", 128, allowEmpty: false),
                        Kind = Validate.RequiredText(Str(o, "kind"), "kind", 32),
                        Title = Validate.Text(Str(o, "title"), "title", 200),
                        UserAccount = Validate.Text(Str(o, "user_account"), "user_account", 255),
                        Status = WireNames.SessionStatus(Str(o, "status") ?? ""),
                        StartedAt = TimeAt(o, "started_at"),
                        EndedAt = Time(o, "ended_at"),
                        UpdatedAt = TimeAt(o, "updated_at"),
                        MetadataJson = JsonObjectText(o, "metadata"),
                        AgentReadSeq = Seq(o, "agent_read_seq"),
                        UserReadSeq = Seq(o, "user_read_seq"),
                    });
                case NdjsonLines.Message:
                    id = Validate.Id(Str(o, "id"), "id");
                    var m = new MessageRow
                    {
                        Id = id,
                        SessionId = Validate.Id(Str(o, "session_id"), "session_id"),
                        SessionSeq = Seq(o, "session_seq"),
                        IdempotencyKey = Validate.Text(Str(o, "idempotency_key"), "idempotency_key", 128, allowEmpty: false),
                        Direction = WireNames.Direction(Str(o, "direction") ?? ""),
                        SenderType = WireNames.Sender(Str(o, "sender_type") ?? ""),
                        SenderId = Validate.Text(Str(o, "sender_id"), "sender_id", 255),
                        SenderName = Validate.Text(Str(o, "sender_name"), "sender_name", 255),
                        Channel = Validate.Slug(Str(o, "channel"), "channel"),
                        Recipient = Validate.Text(Str(o, "recipient"), "recipient", 320),
                        Template = Validate.Text(Str(o, "template"), "template", 128),
                        Subject = Validate.Text(Str(o, "subject"), "subject", 998),
                        Content = Validate.Content(Str(o, "content"), "content"),
                        ProviderMessageId = Validate.Text(Str(o, "provider_message_id"), "provider_message_id", 255, allowEmpty: false),
                        MetadataJson = JsonObjectText(o, "metadata"),
                        CreatedAt = TimeAt(o, "created_at"),
                        UpdatedAt = TimeAt(o, "updated_at"),
                    };
                    if (m.SessionSeq < 1) throw new ArgumentException("session_seq must be 1 or more.", "session_seq");
                    m.Delivery = new DeliveryState
                    {
                        Status = WireNames.Status(Str(o, "status") ?? ""),
                        SentAt = Time(o, "sent_at"),
                        DeliveredAt = Time(o, "delivered_at"),
                        ReadAt = Time(o, "read_at"),
                        FailedAt = Time(o, "failed_at"),
                        CancelledAt = Time(o, "cancelled_at"),
                        SentImplied = Flag(o, "sent_implied"),
                        DeliveredImplied = Flag(o, "delivered_implied"),
                        ErrorCode = Validate.Text(Str(o, "error_code"), "error_code", 128),
                        ErrorMessage = Validate.Text(Str(o, "error_message"), "error_message", 4000),
                        ErrorAt = Time(o, "error_at"),
                    };
                    return new MessageLine(no, m);
                case NdjsonLines.Event:
                    id = Validate.Id(Str(o, "message_id"), "message_id");
                    return new EventLine(no, new EventRow
                    {
                        MessageId = id,
                        Status = WireNames.Status(Str(o, "status") ?? ""),
                        OccurredAt = TimeAt(o, "occurred_at"),
                        RecordedAt = TimeAt(o, "recorded_at"),
                        Source = Validate.RequiredText(Str(o, "source"), "source", 32),
                        ErrorCode = Validate.Text(Str(o, "error_code"), "error_code", 128),
                        ErrorMessage = Validate.Text(Str(o, "error_message"), "error_message", 4000),
                        DetailJson = JsonObjectText(o, "detail"),
                        Outcome = WireNames.Outcome(Str(o, "outcome") ?? ""),
                    });
                default:
                    return new BadLine(no, "line", "", $"unknown type '{kind}' (expected session, message or event).");
            }
        }
        catch (Exception e) when (e is JsonException or ArgumentException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return new BadLine(no, kind, id, $"not a valid {kind} line: {e.Message}");
        }
    }

    private static string? Str(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v.GetString() : null;

    private static bool Flag(JsonElement o, string name) => o.TryGetProperty(name, out var v) && v.GetBoolean();

    private static long Seq(JsonElement o, string name)
    {
        var v = o.GetProperty(name).GetInt64();
        return v >= 0 ? v : throw new ArgumentException($"{name} must not be negative.", name);
    }

    private static DateTimeOffset TimeAt(JsonElement o, string name) =>
        Time(o, name) ?? throw new ArgumentException($"{name} is required.", name);

    private static DateTimeOffset? Time(JsonElement o, string name)
    {
        var text = Str(o, name);
        if (text is null) return null;
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) ||
            !(text.EndsWith('Z') || text.LastIndexOfAny(['+', '-']) > 10))
            throw new ArgumentException($"{name} '{text}' is not an RFC 3339 time with an offset.", name);
        return Timestamps.Truncate(t);
    }

    private static string? JsonObjectText(JsonElement o, string name)
    {
        if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Object) throw new ArgumentException($"{name} must be a JSON object.", name);
        return Validate.Json(System.Text.Json.Nodes.JsonNode.Parse(v.GetRawText())!.AsObject(), name);
    }

    /// <summary>The line's text for a message, shortened.</summary>
    public static string Preview(ReadOnlySpan<byte> line) => Encoding.UTF8.GetString(line[..Math.Min(line.Length, 80)]);
}
