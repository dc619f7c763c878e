using System.CommandLine;
using static Parley.Cli.ParleyCommandLine;

namespace Parley.Cli;

/// <summary><c>parley backup</c>, <c>restore</c>, <c>maintain</c> and <c>cleanup</c> (docs/cli.md, "backup, restore";
/// "maintain, cleanup").</summary>
internal static class BackupCommands
{
    private static LedgerAdmin AdminOf(ParseResult parsed) => LedgerAdmin.For(new LedgerOptions { Database = DatabaseOf(parsed) });

    public static IEnumerable<Command> Build() => [BackupCommand(), RestoreCommand(), MaintainCommand(), CleanupCommand()];

    private static Command MaintainCommand()
    {
        var cmd = new Command("maintain", "Refreshes the planner's statistics and tidies storage (ANALYZE, PRAGMA optimize, VACUUM ANALYZE).");
        cmd.SetAction(async (parsed, ct) =>
        {
            var ran = await AdminOf(parsed).MaintainAsync(ct);
            Print(parsed, new { database = Redacted(parsed), ran }, () => Console.WriteLine($"maintained {Redacted(parsed)}: {string.Join("; ", ran)}"));
            return Ok;
        });
        return cmd;
    }

    private static Command CleanupCommand()
    {
        var olderThan = new Option<string>("--older-than") { Description = "Delete messages created longer ago than this: 90d, 36h, 15m", Required = true };
        var dryRun = new Option<bool>("--dry-run") { Description = "Say how many messages would go; delete nothing" };
        var cmd = new Command("cleanup", "Retention: deletes old messages and their events in batches of 250, each its own short commit; summaries follow.");
        cmd.Options.Add(olderThan);
        cmd.Options.Add(dryRun);
        cmd.SetAction(async (parsed, ct) =>
        {
            var age = ParseAge(parsed.GetValue(olderThan)!, "--older-than");
            var cutoff = DateTimeOffset.UtcNow - age;
            // Retention on a mistyped path must not create (and migrate) an empty database there: the admin door never
            // creates one.
            var dry = parsed.GetValue(dryRun);
            var count = await AdminOf(parsed).CleanupAsync(cutoff, dry, cancellationToken: ct);
            Print(parsed, new { database = Redacted(parsed), before = Time(cutoff), dry_run = dry, messages = count },
                () => Console.WriteLine(dry
                    ? $"{count:N0} messages created before {Time(cutoff)} would be deleted (dry run: nothing changed)"
                    : $"deleted {count:N0} messages created before {Time(cutoff)}, with their events"));
            return Ok;
        });
        return cmd;
    }

    private static Command BackupCommand()
    {
        var output = new Option<string>("--out") { Description = "The backup file to write (owner-only; never the live database or a database in use)", Required = true };
        var force = new Option<bool>("--force") { Description = "Replace --out if it exists (once the backup is complete)" };
        var ndjson = new Option<bool>("--ndjson") { Description = "Parley's engine-neutral NDJSON even on SQLite (whose default is a SQLite file from the online backup API)" };
        var cmd = new Command("backup", "A consistent backup while writes continue: a SQLite file (SQLite) or Parley's NDJSON (any engine).");
        cmd.Options.Add(output);
        cmd.Options.Add(ndjson);
        cmd.Options.Add(force);
        cmd.SetAction(async (parsed, ct) =>
        {
            var path = parsed.GetValue(output)!;
            var backup = await AdminOf(parsed).BackupAsync(path, parsed.GetValue(ndjson), parsed.GetValue(force), ct);
            var bytes = backup.Bytes;
            Print(parsed, new
            {
                database = Redacted(parsed), file = backup.File, bytes, format = backup.Format,
                tables = backup.Tables?.ToDictionary(t => t.Key, t => new { rows = t.Value.Rows, sha256 = t.Value.Sha256 }),
            }, () => Console.WriteLine(backup.Tables is null
                ? $"backed up {Redacted(parsed)} to {path} ({bytes:N0} bytes, SQLite online backup)"
                : $"backed up {Redacted(parsed)} to {path} ({bytes:N0} bytes, {backup.Tables.Values.Sum(t => t.Rows):N0} rows, NDJSON)"));
            return Ok;
        });
        return cmd;
    }

    private static Command RestoreCommand()
    {
        var file = new Argument<string>("file") { Description = "A backup written by parley backup (NDJSON or a SQLite file)" };
        var cmd = new Command("restore", "Restores a backup into an empty database (--db), then verifies row counts, checksums and the data check; exit 3 on problems.");
        cmd.Arguments.Add(file);
        cmd.SetAction(async (parsed, ct) =>
        {
            var restored = await AdminOf(parsed).RestoreAsync(parsed.GetValue(file)!, ct);
            var findings = restored.Findings;
            Print(parsed, new
            {
                database = Redacted(parsed), schema_version = restored.SchemaVersion, ok = findings.Count == 0,
                tables = restored.Tables.ToDictionary(t => t.Key, t => new { rows = t.Value.Rows, sha256 = t.Value.Sha256 }),
                findings = findings.Select(f => f.ToString()),
            }, () =>
            {
                Console.WriteLine($"restored {restored.Tables.Values.Sum(t => t.Rows):N0} rows into {Redacted(parsed)}; every table's count and checksum match the backup");
                foreach (var f in findings) Console.WriteLine(f);
                if (findings.Count > 0) Console.WriteLine($"{findings.Count} problem(s) found by the data check");
            });
            return findings.Count == 0 ? Ok : Problems;
        });
        return cmd;
    }
}
