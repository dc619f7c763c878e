using Parley.Internal.Kernel;

namespace Parley;

/// <summary>Administration of one database (docs/cli.md, "db check", "backup, restore", "maintain, cleanup"): what
/// <c>parley db check</c>, <c>backup</c>, <c>restore</c>, <c>maintain</c> and <c>cleanup</c> do, from code. Get one from
/// an open ledger (<see cref="Ledger.Admin"/>) or for a database no ledger has open (<see cref="For(LedgerOptions)"/>:
/// a restore target, a damaged database to check). Every call but <see cref="RestoreAsync"/> needs the database to
/// exist and never creates one. Administration is not confined to a tenant.</summary>
/// <example><code>
/// var backup = await ledger.Admin.BackupAsync("/backups/parley.ndjson", ndjson: true);
/// var restored = await LedgerAdmin.For(new LedgerOptions { Database = "sqlite:copy.db" }).RestoreAsync(backup.File);
/// if (restored.Findings.Count > 0) throw new InvalidOperationException(restored.Findings[0].ToString());
/// </code></example>
public sealed class LedgerAdmin
{
    private readonly DatabaseUrl _url;
    private readonly LedgerEngine _engine;
    private readonly LedgerOptions _options;
    private readonly Ledger? _ledger;

    internal LedgerAdmin(DatabaseUrl url, LedgerOptions options, Ledger? ledger)
    {
        _url = url;
        _engine = LedgerEngine.For(url);
        _options = options;
        _ledger = ledger;
    }

    /// <summary>Administration of <see cref="LedgerOptions.Database"/>. Throws <see cref="ArgumentException"/> for a
    /// bad URL; connects only when a call needs it.</summary>
    public static LedgerAdmin For(LedgerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new LedgerAdmin(DatabaseUrl.Parse(options.Database), options, null);
    }

    /// <summary>The database, with any password hidden.</summary>
    public string Database => _url.ToString();

    /// <summary>The data check: the engine's own integrity check, orphans, each session's summary against real
    /// counts, and each message's delivery state against its events replayed through the lifecycle rules. With
    /// <paramref name="repair"/>, recomputes what is derived (summaries, summary counts, statuses) in one transaction;
    /// it never deletes rows. Empty when nothing is wrong.</summary>
    public Task<IReadOnlyList<CheckFinding>> CheckAsync(bool repair = false, CancellationToken cancellationToken = default) =>
        Run(() => (IReadOnlyList<CheckFinding>)Internal.Check.DataCheck.Run(_url, repair), cancellationToken);

    /// <summary>A consistent backup while writes continue, written beside <paramref name="path"/> owner-only (0600)
    /// and renamed into place when complete: on SQLite a SQLite file from the online backup API, otherwise (or with
    /// <paramref name="ndjson"/>) Parley's engine-neutral NDJSON with a row count and checksum per table. Never the live
    /// database or a database in use; an existing file only with <paramref name="overwrite"/>.</summary>
    public Task<BackupResult> BackupAsync(string path, bool ndjson = false, bool overwrite = false, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Run(() =>
        {
            var summary = Internal.Transfer.Backups.Write(_url, path, ndjson, overwrite);
            var full = Path.GetFullPath(path);
            return new BackupResult(full, new FileInfo(full).Length, summary is null ? _url.Engine : Internal.Transfer.Backup.Format,
                summary is null ? null : Digests(summary.Tables));
        }, cancellationToken);
    }

    /// <summary>Restores a backup (NDJSON from any engine, or a SQLite backup file) into this database, which must be
    /// empty (a SQLite file that does not exist yet is created, and removed again if the restore fails). The backup is
    /// checked whole first, so a damaged one changes nothing; the rows go in in one transaction that commits only
    /// when every table reads back with the backup's count and checksum; then the schema is migrated to
    /// <see cref="LedgerSchema.Head"/> and the data check runs (<see cref="RestoreResult.Findings"/>).</summary>
    public Task<RestoreResult> RestoreAsync(string file, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(file);
        return Task.Run(() =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (restored, findings) = Internal.Transfer.Backups.Restore(_url, file);
            return new RestoreResult(restored.SchemaVersion, Digests(restored.Tables), findings);
        }, cancellationToken);
    }

    /// <summary>Exports messages (and, as NDJSON, their sessions and events) to <paramref name="output"/>
    /// (docs/transfer.md): one read snapshot, streamed page by page in constant memory while writes continue.
    /// <paramref name="progress"/> hears how many messages are written of how many. The stream is not closed.</summary>
    public Task<ExportResult> ExportAsync(Stream output, ExportOptions options, IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        Internal.Transfer.Export.Check(options);
        _engine.RequireExisting(_url);
        return Internal.Transfer.Export.WriteAsync(_engine, _url, output, options, progress, cancellationToken);
    }

    /// <summary>Exports to a file (<see cref="ExportAsync"/>), written owner-only beside <paramref name="path"/> and renamed
    /// into place when complete; gzip-compressed when the name ends in <c>.gz</c>. Never the live database or a database
    /// in use; an existing file only with <paramref name="overwrite"/>.</summary>
    public Task<ExportResult> ExportToFileAsync(string path, ExportOptions options, bool overwrite = false, IProgress<TransferProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Internal.Transfer.Export.Check(options);
        _engine.RequireExisting(_url);
        return Internal.Transfer.Export.WriteFileAsync(_engine, _url, path, overwrite, options, progress, cancellationToken);
    }

    /// <summary>Imports an NDJSON export (docs/transfer.md, "Import") from a file (<c>.gz</c> by name). The whole file is
    /// checked against its trailer first (header, line counts, SHA-256), so a file cut short or changed is refused
    /// with an <see cref="InvalidDataException"/> before anything is written. Then its lines go in through the ledger's
    /// writer, 2,000 to a transaction: what is stored exactly is unchanged (importing a file twice changes nothing),
    /// a line that disagrees with stored data is a conflict, reported with its line number. A SQLite file that does not
    /// exist is created. From <see cref="For(LedgerOptions)"/>, a ledger is opened for the call (without a spool).</summary>
    public async Task<ImportResult> ImportFileAsync(string path, ImportOptions? options = null, IProgress<TransferProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new ArgumentException($"{path} does not exist.", "file");
        options ??= new ImportOptions();
        if (options.Name is null) options = options with { Name = Path.GetFullPath(path) };
        Stream Open()
        {
            var file = File.OpenRead(path);
            return path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionMode.Decompress) : file;
        }
        Internal.Transfer.NdjsonTrailer trailer;
        await using (var check = Open())
        {
            try
            {
                trailer = await Internal.Transfer.NdjsonReader.VerifyAsync(check, cancellationToken);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{path}: {e.Message}", e);
            }
        }
        await using var input = Open();
        return await WithLedger(ledger => ledger.ImportLinesAsync(input, options, progress, trailer.Sessions + trailer.Messages + trailer.Events, cancellationToken),
            createIfMissing: true, cancellationToken);
    }

    /// <summary>Imports an NDJSON export read from <paramref name="input"/> (standard input, a request body): copied to
    /// an owner-only temporary file first, so it is checked whole before anything is written, as
    /// <see cref="ImportFileAsync"/> does.</summary>
    public async Task<ImportResult> ImportAsync(Stream input, ImportOptions? options = null, IProgress<TransferProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        options ??= new ImportOptions();
        var temp = Path.Combine(Path.GetTempPath(), $"parley-import-{Guid.NewGuid():N}.ndjson");
        try
        {
            await using (var file = Internal.PrivateFile.Create(temp))
                await input.CopyToAsync(file, cancellationToken);
            try
            {
                return await ImportFileAsync(temp, options with { Name = options.Name ?? "input" }, progress, cancellationToken);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{options.Name ?? "input"}: {e.InnerException?.Message ?? e.Message}", e);
            }
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private async Task<T> WithLedger<T>(Func<Ledger, Task<T>> body, bool createIfMissing, CancellationToken cancellationToken)
    {
        if (_ledger is not null) return await body(_ledger);
        if (!createIfMissing) _engine.RequireExisting(_url);
        await using var ledger = await Ledger.OpenAsync(new LedgerOptions
        {
            Database = _options.Database, Schema = _options.Schema, MigrationLockTimeout = _options.MigrationLockTimeout, BusyTimeout = _options.BusyTimeout,
            Synchronous = _options.Synchronous, LoggerFactory = _options.LoggerFactory, TimeProvider = _options.TimeProvider, Spool = false,
            CreateIfMissing = createIfMissing,
        }, cancellationToken);
        return await body(ledger);
    }

    /// <summary>Refreshes the planner's statistics and tidies storage (SQLite: <c>ANALYZE</c>, <c>PRAGMA optimize</c>;
    /// PostgreSQL: <c>VACUUM (ANALYZE)</c>; MariaDB: <c>ANALYZE TABLE</c>), records a system event, and returns the
    /// statements that ran.</summary>
    public Task<IReadOnlyList<string>> MaintainAsync(CancellationToken cancellationToken = default) =>
        Run(() => (IReadOnlyList<string>)Internal.Retention.Maintenance.Run(_url), cancellationToken);

    /// <summary>Retention: deletes messages created before <paramref name="cutoff"/>, with their events, in batches of
    /// <paramref name="batchSize"/>, each its own short commit through the ledger's writer, so other writers wait at
    /// most one batch; session summaries follow. <paramref name="progress"/> hears the running total. Returns how many
    /// were deleted (with <paramref name="dryRun"/>, how many would be). Records a system event. From
    /// <see cref="For(LedgerOptions)"/>, a ledger is opened for the call (without a spool) and closed again.</summary>
    public async Task<long> CleanupAsync(DateTimeOffset cutoff, bool dryRun = false, int batchSize = 250, IProgress<long>? progress = null,
        CancellationToken cancellationToken = default)
    {
        if (_ledger is not null) return await _ledger.CleanupAsync(cutoff, dryRun, batchSize, progress, cancellationToken);
        _engine.RequireExisting(_url);
        await using var ledger = await Ledger.OpenAsync(new LedgerOptions
        {
            Database = _options.Database, Schema = _options.Schema, MigrationLockTimeout = _options.MigrationLockTimeout, BusyTimeout = _options.BusyTimeout,
            Synchronous = _options.Synchronous, LoggerFactory = _options.LoggerFactory, TimeProvider = _options.TimeProvider, Spool = false, CreateIfMissing = false,
        }, cancellationToken);
        return await ledger.CleanupAsync(cutoff, dryRun, batchSize, progress, cancellationToken);
    }

    private Task<T> Run<T>(Func<T> body, CancellationToken cancellationToken) =>
        Task.Run(() =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            _engine.RequireExisting(_url);
            return body();
        }, cancellationToken);

    private static Dictionary<string, TableDigest> Digests(IReadOnlyDictionary<string, (long Rows, string Checksum)> tables) =>
        tables.ToDictionary(t => t.Key, t => new TableDigest(t.Value.Rows, t.Value.Checksum));
}

/// <summary>One problem the data check found (<see cref="LedgerAdmin.CheckAsync"/>).</summary>
/// <param name="Area">What kind: <c>integrity</c>, <c>orphans</c>, <c>summaries</c>, <c>statuses</c> ….</param>
/// <param name="Message">What is wrong, and where.</param>
/// <param name="Repairable">Whether a repair recomputes it (it is derived data).</param>
/// <param name="Repaired">Whether this run's repair did.</param>
public sealed record CheckFinding(string Area, string Message, bool Repairable, bool Repaired = false)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Area}: {Message}{(Repaired ? " (repaired)" : Repairable ? "" : " (repair cannot mend this; it needs a person)")}";
}

/// <summary>A backup written by <see cref="LedgerAdmin.BackupAsync"/>.</summary>
/// <param name="File">Its full path.</param>
/// <param name="Bytes">Its size.</param>
/// <param name="Format"><c>sqlite</c> (a SQLite database file) or <c>parley-backup/1</c> (Parley's NDJSON).</param>
/// <param name="Tables">For NDJSON, each table's row count and checksum; null for a SQLite file.</param>
public sealed record BackupResult(string File, long Bytes, string Format, IReadOnlyDictionary<string, TableDigest>? Tables);

/// <summary>A table's row count and content checksum (SHA-256 over its rows in an engine-neutral form).</summary>
/// <param name="Rows">How many rows.</param>
/// <param name="Sha256">The checksum, lower-case hex.</param>
public sealed record TableDigest(long Rows, string Sha256);

/// <summary>What <see cref="LedgerAdmin.RestoreAsync"/> restored.</summary>
/// <param name="SchemaVersion">The schema version the backup's rows follow.</param>
/// <param name="Tables">Each table's restored row count and checksum (equal to the backup's).</param>
/// <param name="Findings">What the data check found afterwards; empty when nothing.</param>
public sealed record RestoreResult(int SchemaVersion, IReadOnlyDictionary<string, TableDigest> Tables, IReadOnlyList<CheckFinding> Findings);
