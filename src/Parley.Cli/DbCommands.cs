using System.CommandLine;
using static Parley.Cli.ParleyCommandLine;

namespace Parley.Cli;

/// <summary><c>parley db …</c>: schema management (docs/cli.md, "db").</summary>
internal static class DbCommands
{
    private static readonly Option<bool> DryRun = new("--dry-run") { Description = "Print the SQL; change nothing" };
    private static readonly Option<bool> AllowDestructive = new("--allow-destructive") { Description = "Allow steps that drop, rename or narrow" };

    public static Command Build()
    {
        var db = new Command("db", "Schema management: status, migrate, rollback, history, sql, verify, repair, stamp, lint.");
        db.Subcommands.Add(Status());
        db.Subcommands.Add(Migrate());
        db.Subcommands.Add(Rollback());
        db.Subcommands.Add(History());
        db.Subcommands.Add(Sql());
        db.Subcommands.Add(Verify());
        db.Subcommands.Add(Repair());
        db.Subcommands.Add(Stamp());
        db.Subcommands.Add(Lint());
        db.Subcommands.Add(Check());
        return db;
    }

    /// <summary>Schema management for --db; lock waits are always reported, step-by-step progress only on a
    /// terminal.</summary>
    private static LedgerSchema SchemaOf(ParseResult parsed) => LedgerSchema.For(new LedgerOptions { Database = DatabaseOf(parsed) });

    private static readonly IProgress<string> Progress = new ConsoleProgress();

    private sealed class ConsoleProgress : IProgress<string>
    {
        public void Report(string value)
        {
            if (value.StartsWith("waiting", StringComparison.Ordinal) || !Console.IsErrorRedirected)
                Console.Error.WriteLine($"parley: {value}");
        }
    }

    private static Command Check()
    {
        var repairOption = new Option<bool>("--repair") { Description = "Recompute what is derived (summaries, summary counts, statuses); never deletes rows" };
        var cmd = new Command("check", "The data check: engine integrity, orphans, summaries against real counts, statuses against events; exit 3 on problems.");
        cmd.Options.Add(repairOption);
        cmd.SetAction(async (parsed, ct) =>
        {
            var repair = parsed.GetValue(repairOption);
            var findings = await LedgerAdmin.For(new LedgerOptions { Database = DatabaseOf(parsed) }).CheckAsync(repair, ct);
            Print(parsed, new
            {
                database = Redacted(parsed), ok = findings.Count == 0, repaired = repair,
                findings = findings.Select(f => new { area = f.Area, message = f.Message, repairable = f.Repairable, repaired = f.Repaired }),
            }, () =>
            {
                foreach (var f in findings) Console.WriteLine(f);
                Console.WriteLine(findings.Count == 0 ? $"{Redacted(parsed)}: no problems found"
                    : $"{Redacted(parsed)}: {findings.Count} problem(s){(repair ? $", {findings.Count(f => f.Repaired)} repaired" : findings.Any(f => f.Repairable) ? "; `parley db check --repair` recomputes the derived ones" : "")}");
            });
            return findings.Count == 0 || findings.All(f => f.Repaired) ? Ok : 3;
        });
        return cmd;
    }

    private static Command Status()
    {
        var cmd = new Command("status", "The database's schema version, the code's, and what is pending.");
        cmd.SetAction(async (parsed, ct) =>
        {
            var s = await SchemaOf(parsed).GetStatusAsync(Progress, ct);
            Print(parsed, new
            {
                database = Redacted(parsed), version = s.Version, head = s.Head,
                pending = s.Pending.Select(m => new
                {
                    version = m.Version, name = m.Name,
                    partial = m.StepsDone is { } done ? new { steps_done = done, steps = m.Steps } : null,
                }),
            }, () =>
            {
                Console.WriteLine($"{Redacted(parsed)}: schema version {s.Version}, this Parley {s.Head}");
                foreach (var m in s.Pending)
                {
                    Console.WriteLine(m.StepsDone is { } done
                        ? $"  partial v{m.Version} {m.Name}: {done} of {m.Steps} steps ran before it failed; `parley db migrate` resumes it"
                        : $"  pending v{m.Version} {m.Name}");
                }
                if (s.Pending.Count == 0) Console.WriteLine("  up to date");
            });
            return Ok;
        });
        return cmd;
    }

    private static Command Migrate()
    {
        var to = new Option<int?>("--to") { Description = "Stop at this version (default: the latest)" };
        var cmd = new Command("migrate", "Apply pending migrations under the migration lock.") { to, DryRun, AllowDestructive };
        cmd.SetAction(async (parsed, ct) => Change(parsed,
            await SchemaOf(parsed).MigrateAsync(parsed.GetValue(to), parsed.GetValue(DryRun), parsed.GetValue(AllowDestructive), Progress, ct), "applied"));
        return cmd;
    }

    private static Command Rollback()
    {
        var to = new Option<int?>("--to") { Description = "Roll back to this version" };
        var steps = new Option<int?>("--steps") { Description = "Roll back this many migrations" };
        var cmd = new Command("rollback", "Undo migrations, newest first.") { to, steps, DryRun, AllowDestructive };
        cmd.Validators.Add(r =>
        {
            if ((r.GetValue(to) is null) == (r.GetValue(steps) is null)) r.AddError("give --to V or --steps N (one of them).");
            if (r.GetValue(steps) is < 1) r.AddError("--steps must be at least 1.");
        });
        cmd.SetAction(async (parsed, ct) =>
        {
            var schema = SchemaOf(parsed);
            var target = parsed.GetValue(to) ?? Math.Max(0, (await schema.GetStatusAsync(Progress, ct)).Version - parsed.GetValue(steps)!.Value);
            return Change(parsed, await schema.RollbackAsync(target, parsed.GetValue(DryRun), parsed.GetValue(AllowDestructive), Progress, ct), "rolled back");
        });
        return cmd;
    }

    private static int Change(ParseResult parsed, SchemaChange change, string verb)
    {
        Print(parsed, new { database = Redacted(parsed), from = change.From, to = change.To, versions = change.Versions, dry_run = change.DryRun, sql = change.DryRun ? change.Sql : null }, () =>
        {
            if (change.DryRun)
            {
                foreach (var sql in change.Sql) Console.WriteLine(sql.TrimEnd() + ";");
                Console.Error.WriteLine($"parley: dry run: would have {verb} {Versions(change.Versions)}; nothing changed.");
            }
            else
            {
                Console.WriteLine(change.Versions.Count == 0
                    ? $"{Redacted(parsed)} is at schema version {change.To}; nothing to do."
                    : $"{verb} {Versions(change.Versions)}; {Redacted(parsed)} is at schema version {change.To}.");
            }
        });
        return Ok;
    }

    private static string Versions(IReadOnlyList<int> versions) =>
        versions.Count == 0 ? "nothing" : string.Join(", ", versions.Select(v => $"v{v}"));

    private static Command History()
    {
        var cmd = new Command("history", "Every migration recorded in parley_schema_history.");
        cmd.SetAction(async (parsed, ct) =>
        {
            var rows = await SchemaOf(parsed).GetHistoryAsync(Progress, ct);
            Print(parsed, rows.Select(h => new
            {
                version = h.Version, name = h.Name, checksum = h.Checksum, applied_at = Time(h.AppliedAt),
                execution_ms = h.ExecutionMs, applied_by = h.AppliedBy, state = h.State,
            }), () =>
            {
                foreach (var h in rows)
                    Console.WriteLine($"v{h.Version,-3} {h.State,-8} {Time(h.AppliedAt)} {h.ExecutionMs,6} ms  {h.Name}  ({h.AppliedBy})");
                if (rows.Count == 0) Console.WriteLine("no migrations applied");
            });
            return Ok;
        });
        return cmd;
    }

    private static Command Sql()
    {
        var from = new Option<int>("--from") { Description = "From this version (exclusive); default 0", DefaultValueFactory = _ => 0 };
        var to = new Option<int?>("--to") { Description = "To this version; default the latest" };
        var cmd = new Command("sql", "Print the DDL of the migrations, without touching a database.") { from, to };
        cmd.SetAction(parsed =>
        {
            var sql = SchemaOf(parsed).Sql(parsed.GetValue(from), parsed.GetValue(to));
            Print(parsed, sql, () => { foreach (var s in sql) Console.WriteLine(s.StartsWith("--", StringComparison.Ordinal) ? s : s.TrimEnd() + ";"); });
            return Ok;
        });
        return cmd;
    }

    private static Command Verify()
    {
        var cmd = new Command("verify", "Compare the live schema with the applied version's; exit 3 on drift.");
        cmd.SetAction(async (parsed, ct) =>
        {
            var drift = await SchemaOf(parsed).VerifyAsync(Progress, ct);
            Print(parsed, new { database = Redacted(parsed), drift = drift.Select(d => d.Message) }, () =>
            {
                foreach (var d in drift) Console.WriteLine(d.Message);
                if (drift.Count == 0) Console.WriteLine($"{Redacted(parsed)}: the live schema matches the declared one.");
            });
            return drift.Count == 0 ? Ok : Problems;
        });
        return cmd;
    }

    private static Command Repair()
    {
        var cmd = new Command("repair", "Re-create what the applied version declares and the database lacks; never drops anything.");
        cmd.SetAction(async (parsed, ct) =>
        {
            var (repaired, left) = await SchemaOf(parsed).RepairAsync(Progress, ct);
            Print(parsed, new { database = Redacted(parsed), repaired = repaired.Select(d => d.Message), left = left.Select(d => d.Message) }, () =>
            {
                foreach (var d in repaired) Console.WriteLine($"repaired: {d.Message}");
                foreach (var d in left) Console.WriteLine($"left for you: {d.Message}");
                if (repaired.Count == 0 && left.Count == 0) Console.WriteLine("nothing to repair.");
            });
            return left.Count == 0 ? Ok : Problems;
        });
        return cmd;
    }

    private static Command Stamp()
    {
        var version = new Argument<int>("version") { Description = "The version the existing schema is at" };
        var cmd = new Command("stamp", "Adopt an existing database at a version (a baseline), without running DDL.") { version };
        cmd.SetAction(async (parsed, ct) =>
        {
            await SchemaOf(parsed).StampAsync(parsed.GetValue(version), Progress, ct);
            Print(parsed, new { database = Redacted(parsed), version = parsed.GetValue(version) },
                () => Console.WriteLine($"{Redacted(parsed)} stamped at schema version {parsed.GetValue(version)}; run `parley db verify` to compare it."));
            return Ok;
        });
        return cmd;
    }

    private static Command Lint()
    {
        var cmd = new Command("lint", "List destructive steps (drop, rename, narrowing); exit 3 when a forward migration has one.");
        cmd.SetAction(parsed =>
        {
            var steps = SchemaOf(parsed).Lint();
            var up = steps.Where(s => s.Contains(" up: ", StringComparison.Ordinal)).ToList();
            Print(parsed, new { destructive = steps }, () =>
            {
                foreach (var s in steps) Console.WriteLine(s);
                if (up.Count == 0) Console.WriteLine("no forward migration has a destructive step (rollbacks listed above are destructive by nature).");
            });
            return up.Count == 0 ? Ok : Problems;
        });
        return cmd;
    }
}
