namespace Parley;

/// <summary>The formats of an export (docs/transfer.md).</summary>
public enum ExportFormat
{
    /// <summary>One RFC 4180 row per message, the columns of docs/transfer.md, spreadsheet-safe unless
    /// <see cref="ExportOptions.Raw"/>.</summary>
    Csv,
    /// <summary>One JSON array of messages, each as <c>GET /api/v1/messages/{id}</c> answers it, with its events.</summary>
    Json,
    /// <summary>Parley's full-fidelity format: a header line, sessions, messages and events, a trailer with counts, a
    /// checksum and the cursor of the next incremental export. What <c>parley import</c> reads.</summary>
    Ndjson,
}

/// <summary>What an export holds (<see cref="LedgerAdmin.ExportAsync"/>). Every filter narrows the messages; times
/// filter on <c>created_at</c>, half-open (<see cref="Since"/> included, <see cref="Until"/> not).</summary>
public sealed record ExportOptions
{
    /// <summary>The format; NDJSON by default.</summary>
    public ExportFormat Format { get; init; } = ExportFormat.Ndjson;

    /// <summary>Messages created at or after this time.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Messages created before this time.</summary>
    public DateTimeOffset? Until { get; init; }

    /// <summary>The messages of one session.</summary>
    public string? SessionId { get; init; }

    /// <summary>The messages of one channel.</summary>
    public string? Channel { get; init; }

    /// <summary>The messages whose current status is this one.</summary>
    public MessageStatus? Status { get; init; }

    /// <summary>One tenant's sessions and messages only (a tenant key's export); null for every tenant.</summary>
    public string? Tenant { get; init; }

    /// <summary>Only what changed since the export whose trailer gave this cursor (<see cref="ExportResult.NextCursor"/>):
    /// new messages, and old ones with new status events. NDJSON only.</summary>
    public string? After { get; init; }

    /// <summary>CSV: cells exactly as stored, without the leading <c>'</c> that keeps a spreadsheet from reading a cell
    /// that starts with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, tab or carriage return as a formula.</summary>
    public bool Raw { get; init; }

    /// <summary>CSV: a UTF-8 byte order mark first, for spreadsheets that otherwise guess the encoding.</summary>
    public bool Bom { get; init; }
}

/// <summary>What an export wrote.</summary>
/// <param name="Sessions">Session lines (NDJSON; 0 for the other formats).</param>
/// <param name="Messages">Messages.</param>
/// <param name="Events">Event lines (NDJSON), or events inside the messages (JSON); 0 for CSV.</param>
/// <param name="NextCursor">NDJSON: where an incremental export (<see cref="ExportOptions.After"/>) starts next time.</param>
/// <param name="Sha256">NDJSON: the checksum the trailer carries (SHA-256 over every line before it).</param>
public sealed record ExportResult(long Sessions, long Messages, long Events, string? NextCursor, string? Sha256);

/// <summary>What a line that conflicts with stored data does to an import.</summary>
public enum ImportConflictMode
{
    /// <summary>The line is reported and skipped; the rest is imported.</summary>
    Skip,
    /// <summary>The import stops at the first conflict; the batch holding it writes nothing, earlier batches stay.</summary>
    Fail,
}

/// <summary>How <c>LedgerAdmin.ImportAsync</c> imports.</summary>
public sealed record ImportOptions
{
    /// <summary>What a conflicting line does; <see cref="ImportConflictMode.Skip"/> by default.</summary>
    public ImportConflictMode OnConflict { get; init; } = ImportConflictMode.Skip;

    /// <summary>A tenant key's import: every session goes to this tenant, and a line naming another tenant is a
    /// conflict. Null: sessions keep the tenant their line names.</summary>
    public string? Tenant { get; init; }

    /// <summary>What the file is called in messages (its path, <c>stdin</c>, <c>request body</c>).</summary>
    public string? Name { get; init; }
}

/// <summary>One line an import could not take.</summary>
/// <param name="Line">Its line number in the file (the header is line 1).</param>
/// <param name="Kind"><c>session</c>, <c>message</c> or <c>event</c>.</param>
/// <param name="Id">The id the line names.</param>
/// <param name="Reason">What differs from what is stored.</param>
public sealed record ImportConflict(long Line, string Kind, string Id, string Reason);

/// <summary>What an import did. Importing the same file again inserts nothing: every line is
/// <see cref="Unchanged"/>.</summary>
/// <param name="Inserted">Lines whose session, message or event was not stored and now is.</param>
/// <param name="Updated">Session lines newer than the stored session (title, status, end, metadata, read markers moved).</param>
/// <param name="Unchanged">Lines already stored exactly.</param>
/// <param name="Conflicts">Lines that disagree with stored data, each with its line number; skipped.</param>
/// <param name="ConflictCount">How many conflicts there were (<see cref="Conflicts"/> lists the first 1,000).</param>
public sealed record ImportResult(long Inserted, long Updated, long Unchanged, IReadOnlyList<ImportConflict> Conflicts, long ConflictCount);

/// <summary>How far long work is (export, import, copy), for a progress bar.</summary>
/// <param name="Done">Units done.</param>
/// <param name="Total">Units in all, when known.</param>
/// <param name="Unit"><c>messages</c>, <c>lines</c>, <c>rows</c> ….</param>
public sealed record TransferProgress(long Done, long? Total, string Unit);
