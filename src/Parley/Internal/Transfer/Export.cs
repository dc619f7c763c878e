using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Parley.Internal.Kernel;
using Parley.Internal.Schema;

namespace Parley.Internal.Transfer;

/// <summary>The names NDJSON lines carry in <c>type</c> (docs/transfer.md, "NDJSON").</summary>
internal static class NdjsonLines
{
    public const string Format = "parley-export/1";
    public const string Header = "header";
    public const string Session = "session";
    public const string Message = "message";
    public const string Event = "event";
    public const string Trailer = "trailer";
}

/// <summary><c>parley export</c>, <c>GET /api/v1/export</c> and <see cref="LedgerAdmin.ExportAsync"/> (docs/transfer.md):
/// one read snapshot, read page by page (<see cref="ExportReader"/>), each page written into a buffer
/// (<see cref="ExportFormatWriter"/>) that is drained to the output before the next one is read, so memory holds one
/// page whatever the size of the ledger.</summary>
internal static class Export
{
    public static void Check(ExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Since is { } since && options.Until is { } until && until <= since)
            throw new ArgumentException("until must be after since (the window is half-open: since included, until not).", "until");
        if (options.After is not null)
        {
            if (options.Format != ExportFormat.Ndjson) throw new ArgumentException("an incremental export (after) is NDJSON only.", "after");
            ExportCursor.Decode(options.After);
        }
        if (options.Format != ExportFormat.Csv && (options.Raw || options.Bom))
            throw new ArgumentException("raw and bom apply to CSV only.", options.Raw ? "raw" : "bom");
        if (options.SessionId is not null) Validate.Id(options.SessionId, "session_id");
        if (options.Channel is not null) Validate.Slug(options.Channel, "channel");
    }

    /// <summary>Writes the export to <paramref name="output"/>; the NDJSON header names the database (redacted).</summary>
    public static async Task<ExportResult> WriteAsync(LedgerEngine engine, DatabaseUrl url, Stream output, ExportOptions options,
        IProgress<TransferProgress>? progress, CancellationToken ct)
    {
        Check(options);
        await using var conn = engine.Connect(url);
        var version = engine.SchemaVersion(url);
        if (version != ParleySchema.Head)
            throw new ParleyException(version < ParleySchema.Head
                ? $"{url} is at schema version {version}, below this Parley's {ParleySchema.Head}; migrate it first (parley db migrate)."
                : $"{url} is at schema version {version}, newer than this Parley ({ParleySchema.Head}); export it with a newer Parley.");
        await Exec(conn, engine.Flavor.BeginSnapshot, ct);
        try
        {
            return await WriteSnapshotAsync(conn, engine.Flavor, url, version, output, options, progress, ct);
        }
        finally
        {
            await Exec(conn, "COMMIT", CancellationToken.None);
        }
    }

    private static async Task<ExportResult> WriteSnapshotAsync(System.Data.Common.DbConnection conn, SqlFlavor flavor, DatabaseUrl url, int version,
        Stream output, ExportOptions options, IProgress<TransferProgress>? progress, CancellationToken ct)
    {
        var reader = new ExportReader(conn, flavor, options);
        var total = progress is null ? (long?)null : await reader.CountAsync(ct);
        // Read inside the snapshot before any row, so the next export starts exactly past what this one saw.
        var next = options.Format == ExportFormat.Ndjson ? await reader.NextCursorAsync(ct) : default;
        using var buffer = new MemoryStream(1 << 20);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var writer = ExportFormatWriter.For(options, buffer);
        long sessions = 0, messages = 0, events = 0;

        async Task Drain(bool hashed)
        {
            writer.Flush();
            if (buffer.Length == 0) return;
            if (hashed) hash.AppendData(buffer.GetBuffer(), 0, (int)buffer.Length);
            await output.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), ct);
            buffer.SetLength(0);
        }

        using (var header = JsonDocument.Parse(Header(url, version, options).ToJsonString()))
            writer.Header(header.RootElement);
        (string, string)? current = null;
        Sessions.SessionRow? session = null;
        await foreach (var page in reader.PagesAsync(ct))
        {
            foreach (var (m, _) in page.Messages)
            {
                var key = (m.TenantKey, m.SessionId);
                if (current != key)
                {
                    current = key;
                    if (page.Sessions.TryGetValue(key, out var found))
                    {
                        session = found;
                        writer.Session(found);
                        sessions++;
                    }
                }
                var own = page.Events.GetValueOrDefault((m.TenantKey, m.Id));
                writer.Message(m, session!, own);
                messages++;
                events += own?.Count ?? 0;
            }
            await Drain(hashed: true);
            progress?.Report(new TransferProgress(messages, total, "messages"));
        }
        if (options.Format == ExportFormat.Ndjson)
        {
            await foreach (var s in reader.RemainingSessionsAsync(ct))
            {
                writer.Session(s);
                sessions++;
                if (sessions % ExportReader.PageSize == 0) await Drain(hashed: true);
            }
        }
        await Drain(hashed: true);
        var sha = Convert.ToHexStringLower(hash.GetHashAndReset());
        var cursor = next.Encode();
        writer.Trailer(new JsonObject
        {
            ["type"] = NdjsonLines.Trailer,
            ["counts"] = new JsonObject { ["sessions"] = sessions, ["messages"] = messages, ["events"] = events },
            ["sha256"] = sha,
            ["next_cursor"] = cursor,
        }.ToJsonString());
        await Drain(hashed: false);
        await output.FlushAsync(ct);
        return options.Format == ExportFormat.Ndjson
            ? new ExportResult(sessions, messages, events, cursor, sha)
            : new ExportResult(0, messages, options.Format == ExportFormat.Json ? events : 0, null, null);
    }

    private static JsonObject Header(DatabaseUrl url, int version, ExportOptions o)
    {
        var filters = new JsonObject();
        if (o.Since is { } since) filters["since"] = Timestamps.ToText(since);
        if (o.Until is { } until) filters["until"] = Timestamps.ToText(until);
        if (o.SessionId is not null) filters["session_id"] = o.SessionId;
        if (o.Channel is not null) filters["channel"] = o.Channel;
        if (o.Status is { } status) filters["status"] = WireNames.Of(status);
        if (o.Tenant is not null) filters["tenant"] = o.Tenant;
        if (o.After is not null) filters["after"] = o.After;
        return new JsonObject
        {
            ["type"] = NdjsonLines.Header,
            ["format"] = NdjsonLines.Format,
            ["schema_version"] = version,
            ["source"] = url.ToString(),
            ["filters"] = filters,
        };
    }

    /// <summary>Writes the export to a file: owner-only, beside it until complete, then renamed into place; gzip when the
    /// name ends in <c>.gz</c>. An existing file is replaced only with <paramref name="overwrite"/>.</summary>
    public static async Task<ExportResult> WriteFileAsync(LedgerEngine engine, DatabaseUrl url, string path, bool overwrite, ExportOptions options,
        IProgress<TransferProgress>? progress, CancellationToken ct)
    {
        Check(options);
        BackupTarget.Check(path, engine.DatabaseFile(url), overwrite);
        var full = Path.GetFullPath(path);
        var temp = $"{full}.{Guid.NewGuid():N}.partial";
        try
        {
            ExportResult result;
            await using (var file = PrivateFile.Create(temp))
            {
                if (full.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
                {
                    await using (var gz = new GZipStream(file, CompressionLevel.Fastest, leaveOpen: true))
                        result = await WriteAsync(engine, url, gz, options, progress, ct);
                }
                else
                {
                    result = await WriteAsync(engine, url, file, options, progress, ct);
                }
                file.Flush(flushToDisk: true);
            }
            BackupTarget.Check(path, engine.DatabaseFile(url), overwrite);
            File.Move(temp, full, overwrite);
            return result;
        }
        catch (IOException) when (!overwrite && File.Exists(full))
        {
            throw new ArgumentException($"{path} already exists; pass --force to replace it.", "out");
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static async Task Exec(System.Data.Common.DbConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
