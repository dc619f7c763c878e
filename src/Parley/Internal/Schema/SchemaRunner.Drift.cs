namespace Parley.Internal.Schema;

/// <summary>A difference between the live database and the declared schema of its version. <see cref="Fix"/> is
/// the operation <c>parley db repair</c> runs, or null when only a person can decide (the message says what to do).</summary>
internal sealed record Drift(string Message, MigrationOp? Fix = null)
{
    public override string ToString() => Message;
}

internal sealed partial class SchemaRunner
{
    /// <summary>Compares the live schema with what the applied version declares
    /// (fail-closed start: README, "Schema management").</summary>
    public IReadOnlyList<Drift> Verify() => Locked(commit: false, () => Compare(CheckHistory(engine.ReadHistory())));

    /// <summary>Status and drift as they are now, read without the migration lock, for views polled while the ledger
    /// writes (<c>GET /api/v1/system/schema</c>): it never blocks a writer or waits for a migration. A migration
    /// running meanwhile may show as pending, or as drift on an engine without transactional DDL; <c>parley db
    /// status</c> and <c>verify</c> take the lock.</summary>
    public (SchemaStatus Status, IReadOnlyList<Drift> Drift) Observe()
    {
        engine.Connect();
        try
        {
            var history = engine.HistoryExists() ? engine.ReadHistory() : [];
            var version = CheckHistory(history);
            return (new SchemaStatus(version, Head, history, [.. migrations.Where(m => m.Version > version)]), Compare(version));
        }
        finally
        {
            engine.Dispose();
        }
    }

    /// <summary>Re-creates what the applied version declares and the database lacks, never dropping anything, and
    /// returns what is left for a person.</summary>
    public (IReadOnlyList<Drift> Repaired, IReadOnlyList<Drift> Left) Repair() => Locked(commit: true, () =>
    {
        var version = CheckHistory(engine.ReadHistory());
        var declared = SchemaState.At(migrations, version);
        var fixes = Compare(version).Where(d => d.Fix is not null).ToList();
        // Tables first, then columns, then whatever rebuilds a table, then indexes and triggers on the result.
        static int Order(MigrationOp op) => op switch { CreateTable => 0, AddColumn => 1, AlterColumn or AddForeignKey => 2, _ => 3 };
        var rebuilt = new HashSet<string>(StringComparer.Ordinal);
        foreach (var drift in fixes.OrderBy(d => Order(d.Fix!)))
        {
            // One rebuild to the declared table mends every column and foreign key of that table at once.
            if (drift.Fix is AlterColumn or AddForeignKey && !rebuilt.Add(drift.Fix is AlterColumn a ? a.Table : ((AddForeignKey)drift.Fix).Table))
                continue;
            foreach (var step in engine.Compile(drift.Fix!, declared, declared)) engine.Execute(step);
        }
        if (fixes.Count > 0)
        {
            engine.RecordSystemEvent(SystemEventLevel.Warning, "schema_repaired",
                System.Text.Json.JsonSerializer.Serialize(new { version, repaired = fixes.Select(d => d.Message) }));
        }
        return ((IReadOnlyList<Drift>)fixes, (IReadOnlyList<Drift>)Compare(version));
    });

    private List<Drift> Compare(int version) => Compare(SchemaState.At(migrations, version), version);

    private List<Drift> Compare(SchemaState declared, int version)
    {
        var live = engine.Introspect();
        var drifts = new List<Drift>();
        string V(string kind, string name) => declared.OriginOf(kind, name) is > 0 and var v ? $" (declared in v{v})" : "";

        foreach (var table in declared.Tables)
        {
            if (!live.Tables.TryGetValue(table.Name, out var lt))
            {
                drifts.Add(new Drift($"{table.Name}: table missing{V("table", table.Name)}; run `parley db repair`", new CreateTable(table)));
                continue;
            }
            var extra = lt.Columns.Where(c => table.Columns.All(d => d.Name != c.Name)).ToList();
            // A rebuild copies every row into the declared table: it would drop undeclared columns and convert
            // values of a column whose type differs, so either one rules it out.
            var retyped = table.Columns.Any(c => lt.Columns.FirstOrDefault(l => l.Name == c.Name) is { } l &&
                                                 !string.Equals(l.Type, engine.TypeName(c), StringComparison.OrdinalIgnoreCase));
            var canRebuild = extra.Count == 0 && !retyped;
            foreach (var col in table.Columns)
            {
                var lc = lt.Columns.FirstOrDefault(c => c.Name == col.Name);
                var origin = V("column", $"{table.Name}.{col.Name}");
                if (lc is null)
                {
                    drifts.Add(new Drift($"{table.Name}: column {col.Name} missing{origin}; run `parley db repair`", new AddColumn(table.Name, col)));
                    continue;
                }
                var type = engine.TypeName(col);
                if (!string.Equals(lc.Type, type, StringComparison.OrdinalIgnoreCase))
                {
                    drifts.Add(new Drift($"{table.Name}: column {col.Name} has type {lc.Type}, declared {type}{origin}; convert it by hand (repair never rewrites data)"));
                }
                var notNull = !col.Nullable;
                if (lc.NotNull != notNull)
                {
                    drifts.Add(Rebuildable(canRebuild, new AlterColumn(table.Name, col),
                        $"{table.Name}: column {col.Name} is {(lc.NotNull ? "NOT NULL" : "nullable")}, declared {(notNull ? "NOT NULL" : "nullable")}{origin}"));
                }
                var def = engine.DefaultSql(col);
                if (!SameDefault(lc.Default, def))
                {
                    drifts.Add(Rebuildable(canRebuild, new AlterColumn(table.Name, col),
                        $"{table.Name}: column {col.Name} default is {lc.Default ?? "none"}, declared {def ?? "none"}{origin}"));
                }
            }
            foreach (var c in extra)
                drifts.Add(new Drift($"{table.Name}: extra column {c.Name} (not declared); Parley never drops data: drop it by hand if nothing uses it"));
            foreach (var fk in table.ForeignKeys)
            {
                if (!lt.ForeignKeys.Any(l => l.RefTable == fk.RefTable && l.Columns.SequenceEqual(fk.Columns) && l.RefColumns.SequenceEqual(fk.RefColumns) && l.CascadeDelete == fk.CascadeDelete))
                    drifts.Add(Rebuildable(canRebuild, new AddForeignKey(table.Name, fk), $"{table.Name}: foreign key {fk.ToString()[3..]} missing{V("fk", $"{table.Name}:{fk}")}"));
            }
        }
        // Parley's own history table is created by each engine's DDL, not by a migration: its columns are checked by name.
        if (live.Tables.TryGetValue(ParleySchema.HistoryTable, out var history))
        {
            foreach (var missing in HistoryColumns.Where(c => history.Columns.All(l => l.Name != c)))
                drifts.Add(new Drift($"{ParleySchema.HistoryTable}: column {missing} missing; Parley cannot read its history: restore the table from a backup"));
            foreach (var extra in history.Columns.Where(l => !HistoryColumns.Contains(l.Name)))
                drifts.Add(new Drift($"{ParleySchema.HistoryTable}: extra column {extra.Name} (not declared); Parley never drops data: drop it by hand if nothing uses it"));
        }
        foreach (var name in live.Tables.Keys.Where(t => t.StartsWith("parley_", StringComparison.Ordinal) && t != ParleySchema.HistoryTable && !declared.HasTable(t)))
            drifts.Add(new Drift($"{name}: extra table (not declared at v{version}); Parley never drops data: drop it by hand if nothing uses it"));

        foreach (var declaredIndex in declared.Indexes)
        {
            var index = engine.PartialIndexes ? declaredIndex : declaredIndex with { Where = null };
            var li = live.Indexes.FirstOrDefault(i => i.Name == index.Name);
            if (li is null)
            {
                drifts.Add(new Drift($"{index.Table}: index {index.Name} missing{V("index", index.Name)}; run `parley db repair`", new CreateIndex(index)));
            }
            else if (!li.Columns.SequenceEqual(index.Columns) || li.Unique != index.Unique || !SameWhere(li.Where, index.Where))
            {
                drifts.Add(new Drift($"{index.Table}: index {index.Name} is {Describe(li.Columns, li.Unique, li.Where)}, declared {Describe(index.Columns, index.Unique, index.Where)}; drop it by hand, then run `parley db repair`"));
            }
        }
        foreach (var trigger in declared.Triggers)
        {
            if (live.Triggers.All(t => t.Name != trigger.Name))
                drifts.Add(new Drift($"{trigger.Table}: trigger {trigger.Name} missing{V("trigger", trigger.Name)}; run `parley db repair`", new CreateUpdatedAtTrigger(trigger)));
        }
        return drifts;
    }

    private static readonly string[] HistoryColumns = ["version", "name", "checksum", "applied_at", "execution_ms", "applied_by", "state"];

    private static Drift Rebuildable(bool canRebuild, MigrationOp fix, string message) => canRebuild
        ? new Drift(message + "; run `parley db repair`", fix)
        : new Drift(message + "; the table has undeclared columns or a changed type, so repair will not rebuild it: fix the column by hand");

    private static string Describe(IReadOnlyList<string> columns, bool unique, string? where) =>
        $"{(unique ? "unique " : "")}({string.Join(", ", columns)}){(where is null ? "" : $" where {where}")}";

    private static string? Normalize(string? sql) =>
        sql is null ? null : string.Join(' ', sql.Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries)).Trim('(', ')', ' ').ToUpperInvariant();

    private static bool SameDefault(string? live, string? declared) => Normalize(live) == Normalize(declared);
    private static bool SameWhere(string? live, string? declared) => Normalize(live) == Normalize(declared);
}
