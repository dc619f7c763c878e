using System.Diagnostics;

namespace Parley.Internal.Schema;

/// <summary>What the database's schema is and what running the migrations would do.</summary>
internal sealed record SchemaStatus(int Version, int Head, IReadOnlyList<HistoryRow> History, IReadOnlyList<Migration> Pending);

/// <summary>Schema management (README, "Schema management"; docs/cli.md, "db"), the same on every engine: the lock is
/// taken before the history is read; edited or unknown migrations are refused; destructive steps need consent; each
/// migration's steps and its history row commit together where the engine allows. Engine specifics come from
/// <see cref="ISchemaEngine"/>.</summary>
internal sealed partial class SchemaRunner(ISchemaEngine engine, IReadOnlyList<Migration> migrations, TimeProvider clock, Action<string>? progress = null)
{
    public int Head => migrations[^1].Version;

    public SchemaStatus Status() => Locked(commit: false, () =>
    {
        var history = engine.ReadHistory();
        var version = CheckHistory(history);
        return new SchemaStatus(version, Head, history, [.. migrations.Where(m => m.Version > version)]);
    });

    public IReadOnlyList<HistoryRow> History() => Status().History;

    /// <summary>Applies pending migrations up to <paramref name="to"/> (default: head).</summary>
    public SchemaChange Migrate(int? to = null, bool dryRun = false, bool allowDestructive = false)
    {
        var target = to ?? Head;
        if (target < 0 || target > Head)
            throw new ArgumentOutOfRangeException(nameof(to), target, $"--to must be between 0 and {Head}.");
        return Locked(commit: !dryRun, () =>
        {
            var history = engine.ReadHistory();
            var current = CheckHistory(history);
            if (target < current)
                throw new ArgumentException($"the database is at version {current}, above --to {target}; use `parley db rollback --to {target}`.", nameof(to));
            var pending = migrations.Where(m => m.Version > current && m.Version <= target).ToList();
            var state = SchemaState.At(migrations, current);
            RefuseDestructive(pending.SelectMany(m => m.DestructiveSteps(SchemaState.At(migrations, m.Version - 1))), allowDestructive || dryRun, "migrate");
            var sql = new List<string>();
            foreach (var m in pending)
            {
                var watch = Stopwatch.StartNew();
                var done = history.FirstOrDefault(h => h.Version == m.Version)?.PartialDone ?? 0;
                if (done > 0)
                {
                    CheckPartial(m, done);
                    progress?.Invoke($"resuming v{m.Version} {m.Name} after its first {done} of {m.Up.Count} steps");
                }
                else
                {
                    progress?.Invoke($"applying v{m.Version} {m.Name}");
                }
                // Without transactional DDL every statement commits as it runs: record how far the migration got,
                // so that a failure part way is resumed from there, not re-run from the start.
                Action<int>? stepDone = engine.TransactionalDdl || dryRun ? null : k => engine.WriteHistory(
                    new HistoryRow(m.Version, m.Name, m.Checksum, Timestamps.Now(clock), watch.ElapsedMilliseconds, AppliedBy(), HistoryRow.Partial(k, m.Up.Count)));
                sql.AddRange(Run(m.Up, state, dryRun, done, stepDone));
                if (dryRun) continue;
                engine.WriteHistory(new HistoryRow(m.Version, m.Name, m.Checksum, Timestamps.Now(clock), watch.ElapsedMilliseconds, AppliedBy(), "applied"));
                engine.RecordSystemEvent(SystemEventLevel.Info, "migration_applied",
                    $$"""{"version":{{m.Version}},"name":{{Json(m.Name)}},"execution_ms":{{watch.ElapsedMilliseconds}}}""");
            }
            return new SchemaChange(current, pending.Count > 0 ? pending[^1].Version : current, [.. pending.Select(m => m.Version)], sql, dryRun);
        });
    }

    /// <summary>Undoes migrations above <paramref name="to"/>, newest first.</summary>
    public SchemaChange Rollback(int to, bool dryRun = false, bool allowDestructive = false)
    {
        if (to < 0 || to > Head)
            throw new ArgumentOutOfRangeException(nameof(to), to, $"--to must be between 0 and {Head}.");
        return Locked(commit: !dryRun, () =>
        {
            var current = CheckHistory(engine.ReadHistory());
            if (to > current)
                throw new ArgumentException($"the database is at version {current}, below --to {to}; use `parley db migrate --to {to}`.", nameof(to));
            var undo = migrations.Where(m => m.Version > to && m.Version <= current).OrderByDescending(m => m.Version).ToList();
            RefuseDestructive(undo.SelectMany(m => m.DestructiveSteps(SchemaState.At(migrations, m.Version), down: true)), allowDestructive || dryRun, "rollback");
            var sql = new List<string>();
            foreach (var m in undo)
            {
                progress?.Invoke($"rolling back v{m.Version} {m.Name}");
                sql.AddRange(Run(m.Down, SchemaState.At(migrations, m.Version), dryRun));
                if (dryRun) continue;
                engine.DeleteHistory(m.Version);
                engine.RecordSystemEvent(SystemEventLevel.Warning, "migration_rolled_back", $$"""{"version":{{m.Version}},"name":{{Json(m.Name)}}}""");
            }
            return new SchemaChange(current, to, [.. undo.Select(m => m.Version)], sql, dryRun);
        });
    }

    /// <summary>Adopts an existing database at <paramref name="version"/> (a baseline): history rows, no DDL.</summary>
    public void Stamp(int version)
    {
        if (version < 1 || version > Head)
            throw new ArgumentOutOfRangeException(nameof(version), version, $"the version must be between 1 and {Head}.");
        Locked(commit: true, () =>
        {
            var current = CheckHistory(engine.ReadHistory());
            if (current > 0)
                throw new ArgumentException($"the database already has history (version {current}); stamp adopts only a database without it.", nameof(version));
            foreach (var m in migrations.Where(m => m.Version <= version))
                engine.WriteHistory(new HistoryRow(m.Version, m.Name, m.Checksum, Timestamps.Now(clock), 0, AppliedBy(), "baseline"));
            engine.RecordSystemEvent(SystemEventLevel.Info, "schema_stamped", $$"""{"version":{{version}}}""");
            return 0;
        });
    }

    /// <summary>The SQL of the migrations from <paramref name="from"/> (exclusive) to <paramref name="to"/>, without a
    /// database.</summary>
    public IReadOnlyList<string> Sql(int from, int to)
    {
        if (from < 0 || to > Head || from > to)
            throw new ArgumentOutOfRangeException(nameof(from), $"need 0 <= --from <= --to <= {Head}.");
        var state = SchemaState.At(migrations, from);
        var sql = new List<string>();
        foreach (var m in migrations.Where(m => m.Version > from && m.Version <= to))
        {
            sql.Add($"-- v{m.Version} {m.Name}");
            sql.AddRange(Run(m.Up, state, dryRun: true));
        }
        return sql;
    }

    /// <summary>Every destructive step in the migrations, up and down (<c>parley db lint</c>).</summary>
    public IReadOnlyList<string> Lint() =>
    [
        .. migrations.SelectMany(m => m.DestructiveSteps(SchemaState.At(migrations, m.Version - 1))),
        .. migrations.SelectMany(m => m.DestructiveSteps(SchemaState.At(migrations, m.Version), down: true)),
    ];

    /// <summary>Compiles and runs <paramref name="ops"/>, advancing <paramref name="state"/>; the first
    /// <paramref name="skip"/> already ran (a resumed partial migration). <paramref name="done"/> hears how many have
    /// run after each one but the last.</summary>
    private List<string> Run(IReadOnlyList<MigrationOp> ops, SchemaState state, bool dryRun, int skip = 0, Action<int>? done = null)
    {
        var sql = new List<string>();
        for (var i = 0; i < ops.Count; i++)
        {
            var before = state.Clone();
            state.Apply(ops[i]);
            if (i < skip) continue;
            foreach (var step in engine.Compile(ops[i], before, state.Clone()))
            {
                sql.AddRange(engine.Render(step));
                if (!dryRun) engine.Execute(step);
            }
            if (i + 1 < ops.Count) done?.Invoke(i + 1);
        }
        return sql;
    }

    /// <summary>Before resuming a partial migration, checks that what its first <paramref name="done"/> steps did is
    /// in the live schema (nobody undid it by hand since).</summary>
    private void CheckPartial(Migration m, int done)
    {
        var expected = SchemaState.At(migrations, m.Version - 1);
        foreach (var op in m.Up.Take(done)) expected.Apply(op);
        var drift = Compare(expected, m.Version - 1);
        if (drift.Count > 0)
            throw new ParleyException($"v{m.Version} '{m.Name}' stopped after {done} of {m.Up.Count} steps, but the database does not show them:\n  " +
                                      $"{string.Join("\n  ", drift)}\nPut the schema back as those steps left it (or restore a backup), then migrate again.");
    }

    /// <summary>The applied version, after refusing a history this code cannot trust.</summary>
    private int CheckHistory(IReadOnlyList<HistoryRow> history)
    {
        var applied = history.Where(h => h.IsApplied).ToList();
        var current = applied.Count == 0 ? 0 : applied.Max(h => h.Version);
        if (current > Head)
            throw new ParleyException($"the database is at schema version {current}, newer than this Parley (version {Head}); upgrade Parley rather than opening a newer database with older code.");
        foreach (var row in applied)
        {
            var m = migrations.FirstOrDefault(x => x.Version == row.Version)
                    ?? throw new ParleyException($"the history records version {row.Version} '{row.Name}', which this Parley does not have.");
            if (row.Checksum != m.Checksum)
                throw new ParleyException($"migration {m.Version} '{m.Name}' was edited after it was applied (checksum {row.Checksum[..Math.Min(12, row.Checksum.Length)]}… in the database, {m.Checksum[..12]}… in the code); restore the original migration and add a new one.");
        }
        var missing = Enumerable.Range(1, current).Except(applied.Select(h => h.Version)).ToList();
        if (missing.Count > 0)
            throw new ParleyException($"the history is at version {current} but lacks version(s) {string.Join(", ", missing)}; repair the history by hand or restore from backup.");
        return current;
    }

    private static void RefuseDestructive(IEnumerable<string> steps, bool allowed, string command)
    {
        var list = steps.ToList();
        if (list.Count > 0 && !allowed)
            throw new ArgumentException($"refusing destructive steps without --allow-destructive:\n  {string.Join("\n  ", list)}\n(run `parley db {command} --allow-destructive` after a backup)", "allow_destructive");
    }

    private T Locked<T>(bool commit, Func<T> body)
    {
        engine.Lock(message => progress?.Invoke(message));
        var ok = false;
        try
        {
            engine.EnsureHistory();
            var result = body();
            ok = true;
            return result;
        }
        finally
        {
            engine.Unlock(commit && ok);
        }
    }

    public static string AppliedBy() => $"{Environment.UserName}@{Environment.MachineName} pid {Environment.ProcessId}";

    private static string Json(string s) => System.Text.Json.JsonSerializer.Serialize(s);
}
