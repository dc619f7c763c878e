using System.CommandLine;
using static Parley.Cli.ParleyCommandLine;

namespace Parley.Cli;

/// <summary><c>parley export</c> and <c>parley import</c> (docs/cli.md, "export, import"; docs/transfer.md). Data goes to
/// stdout only; summaries and progress to stderr when stdout carries data.</summary>
internal static class TransferCommands
{
    private static LedgerAdmin AdminOf(ParseResult parsed) => LedgerAdmin.For(new LedgerOptions { Database = DatabaseOf(parsed) });

    public static IEnumerable<Command> Build() => [ExportCommand(), ImportCommand()];

    public static readonly Option<bool> Quiet = new("--quiet", "-q") { Description = "No progress and no summary on stderr" };

    private static Command ExportCommand()
    {
        var format = new Option<string>("--format") { Description = "csv, json or ndjson (default ndjson, what parley import reads)", DefaultValueFactory = _ => "ndjson" };
        format.AcceptOnlyFromAmong("csv", "json", "ndjson");
        var output = new Option<string?>("--out") { Description = "The file to write (owner-only, renamed into place when complete; .gz compresses); default stdout" };
        var force = new Option<bool>("--force") { Description = "Replace --out if it exists" };
        var since = new Option<DateTimeOffset?>("--since") { Description = "Messages created at or after this time (RFC 3339)" };
        var until = new Option<DateTimeOffset?>("--until") { Description = "Messages created before this time (RFC 3339)" };
        var session = new Option<string?>("--session") { Description = "The messages of one session" };
        var channel = new Option<string?>("--channel") { Description = "The messages of one channel" };
        var status = new Option<string?>("--status") { Description = "The messages with this current status" };
        var tenant = new Option<string?>("--tenant") { Description = "One tenant's sessions and messages only" };
        var after = new Option<string?>("--after") { Description = "Only what changed since the export whose trailer gave this next_cursor (NDJSON)" };
        var raw = new Option<bool>("--raw") { Description = "CSV: cells exactly as stored (no leading ' before =, +, -, @, tab or CR)" };
        var bom = new Option<bool>("--bom") { Description = "CSV: a UTF-8 byte order mark first, for Excel" };
        var cmd = new Command("export", "Streams messages out as CSV, JSON or NDJSON (sessions, messages, events, a verified trailer) from one consistent snapshot.")
        {
            format, output, force, since, until, session, channel, status, tenant, after, raw, bom, Quiet,
        };
        cmd.SetAction(async (parsed, ct) =>
        {
            var options = new ExportOptions
            {
                Format = parsed.GetValue(format) switch { "csv" => ExportFormat.Csv, "json" => ExportFormat.Json, _ => ExportFormat.Ndjson },
                Since = parsed.GetValue(since), Until = parsed.GetValue(until), SessionId = parsed.GetValue(session), Channel = parsed.GetValue(channel),
                Status = parsed.GetValue(status) is { } s ? ParseStatus(s) : null, Tenant = parsed.GetValue(tenant), After = parsed.GetValue(after),
                Raw = parsed.GetValue(raw), Bom = parsed.GetValue(bom),
            };
            var admin = AdminOf(parsed);
            var path = parsed.GetValue(output);
            var quiet = parsed.GetValue(Quiet);
            ExportResult result;
            if (path is null)
            {
                await using var stdout = Console.OpenStandardOutput();
                result = await Progress.RunAsync(quiet, "exporting", p => admin.ExportAsync(stdout, options, p, ct));
                if (!quiet) await Console.Error.WriteLineAsync(Summary(result, "stdout"));
                return Ok;
            }
            result = await Progress.RunAsync(quiet, "exporting", p => admin.ExportToFileAsync(path, options, parsed.GetValue(force), p, ct));
            Print(parsed, new
            {
                database = Redacted(parsed), file = Path.GetFullPath(path), format = parsed.GetValue(format), sessions = result.Sessions, messages = result.Messages,
                events = result.Events, next_cursor = result.NextCursor, sha256 = result.Sha256,
            }, () => Console.WriteLine(Summary(result, path)));
            return Ok;
        });
        return cmd;
    }

    private static string Summary(ExportResult r, string where) =>
        r.NextCursor is null
            ? $"exported {r.Messages:N0} messages to {where}"
            : $"exported {r.Sessions:N0} sessions, {r.Messages:N0} messages and {r.Events:N0} events to {where}; next --after {r.NextCursor}";

    private static MessageStatus ParseStatus(string text) =>
        Enum.TryParse<MessageStatus>(text, ignoreCase: true, out var s) && Enum.IsDefined(s) && !text.Any(char.IsDigit)
            ? s
            : throw new ArgumentException($"--status takes pending, sending, sent, delivered, read, failed or cancelled; got '{text}'.", "status");

    private static Command ImportCommand()
    {
        var file = new Argument<string>("file") { Description = "An NDJSON export (parley export --format ndjson; .gz by name), or - for standard input" };
        var onConflict = new Option<string>("--on-conflict") { Description = "skip (default): report a conflicting line and go on; fail: stop at the first", DefaultValueFactory = _ => "skip" };
        onConflict.AcceptOnlyFromAmong("skip", "fail");
        var tenant = new Option<string?>("--tenant") { Description = "Import every session into this tenant; a line naming another tenant is a conflict" };
        var cmd = new Command("import", "Imports an NDJSON export, checked whole against its trailer first; idempotent; conflicts reported by line; exit 3 on any.")
        {
            file, onConflict, tenant, Quiet,
        };
        cmd.SetAction(async (parsed, ct) =>
        {
            var path = parsed.GetValue(file)!;
            var options = new ImportOptions
            {
                OnConflict = parsed.GetValue(onConflict) == "fail" ? ImportConflictMode.Fail : ImportConflictMode.Skip,
                Tenant = parsed.GetValue(tenant),
                Name = path == "-" ? "stdin" : null,
            };
            var admin = AdminOf(parsed);
            ImportResult result;
            try
            {
                if (path == "-")
                {
                    await using var stdin = Console.OpenStandardInput();
                    result = await Progress.RunAsync(parsed.GetValue(Quiet), "importing", p => admin.ImportAsync(stdin, options, p, ct));
                }
                else
                {
                    result = await Progress.RunAsync(parsed.GetValue(Quiet), "importing", p => admin.ImportFileAsync(path, options, p, ct));
                }
            }
            catch (InvalidDataException e)
            {
                await Console.Error.WriteLineAsync($"parley: {e.Message}");
                return Problems;
            }
            catch (ParleyConflictException e) when (options.OnConflict == ImportConflictMode.Fail)
            {
                await Console.Error.WriteLineAsync($"parley: {path}: {e.Message}");
                return Problems;
            }
            Print(parsed, new
            {
                database = Redacted(parsed), inserted = result.Inserted, updated = result.Updated, unchanged = result.Unchanged, conflicts = result.ConflictCount,
                conflict_lines = result.Conflicts.Select(c => new { line = c.Line, kind = c.Kind, id = c.Id, reason = c.Reason }),
            }, () =>
            {
                foreach (var c in result.Conflicts) Console.WriteLine($"line {c.Line}: {c.Kind} '{c.Id}': {c.Reason}");
                if (result.ConflictCount > result.Conflicts.Count) Console.WriteLine($"… and {result.ConflictCount - result.Conflicts.Count:N0} more conflicts");
                Console.WriteLine($"imported into {Redacted(parsed)}: {result.Inserted:N0} inserted, {result.Updated:N0} updated, {result.Unchanged:N0} unchanged, {result.ConflictCount:N0} conflicts");
            });
            return result.ConflictCount == 0 ? Ok : Problems;
        });
        return cmd;
    }
}
