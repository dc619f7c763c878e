using System.Security.Cryptography;
using System.Text;

namespace Parley.Internal.Schema;

/// <summary>One step of a migration, independent of the engine; a dialect compiles it.</summary>
internal abstract record MigrationOp
{
    /// <summary>The normalized text the migration checksum is computed over.</summary>
    public abstract string Describe();

    /// <summary>Why this step can lose data (drop, rename, narrowing), or null when it cannot.</summary>
    public virtual string? Destructive(SchemaState before) => null;

    /// <summary>The operation that undoes this one, given the schema before it; null when there is none.</summary>
    public abstract MigrationOp? Inverse(SchemaState before);
}

internal sealed record CreateTable(TableDef Table) : MigrationOp
{
    public override string Describe() => $"create {Table}";
    public override MigrationOp Inverse(SchemaState before) => new DropTable(Table.Name);
}

internal sealed record DropTable(string Name) : MigrationOp
{
    public override string Describe() => $"drop table {Name}";
    public override string Destructive(SchemaState before) => $"drops table {Name} and its rows";
    public override MigrationOp Inverse(SchemaState before) => new CreateTable(before.Table(Name));
}

internal sealed record AddColumn(string Table, ColumnDef Column) : MigrationOp
{
    public override string Describe() => $"add column {Table}.{Column}";
    public override MigrationOp Inverse(SchemaState before) => new DropColumn(Table, Column.Name);
}

internal sealed record DropColumn(string Table, string Column) : MigrationOp
{
    public override string Describe() => $"drop column {Table}.{Column}";
    public override string Destructive(SchemaState before) => $"drops column {Table}.{Column} and its values";
    public override MigrationOp Inverse(SchemaState before) => new AddColumn(Table, before.Table(Table).Columns.Single(c => c.Name == Column));
}

/// <summary>Changes a column's type, length, nullability or default.</summary>
internal sealed record AlterColumn(string Table, ColumnDef Column) : MigrationOp
{
    public override string Describe() => $"alter column {Table}.{Column}";

    public override string? Destructive(SchemaState before)
    {
        var old = before.Table(Table).Columns.Single(c => c.Name == Column.Name);
        return old.WidensTo(Column) ? null : $"narrows {Table}.{Column.Name} from {old.Type}{(old.Length > 0 ? $"({old.Length})" : "")} to {Column.Type}{(Column.Length > 0 ? $"({Column.Length})" : "")}";
    }

    public override MigrationOp Inverse(SchemaState before) => new AlterColumn(Table, before.Table(Table).Columns.Single(c => c.Name == Column.Name));
}

internal sealed record RenameColumn(string Table, string From, string To) : MigrationOp
{
    public override string Describe() => $"rename column {Table}.{From} to {To}";
    public override string Destructive(SchemaState before) => $"renames {Table}.{From} to {To}: code reading the old name breaks";
    public override MigrationOp Inverse(SchemaState before) => new RenameColumn(Table, To, From);
}

internal sealed record CreateIndex(IndexDef Index) : MigrationOp
{
    public override string Describe() => $"create {Index}";
    public override MigrationOp Inverse(SchemaState before) => new DropIndex(Index.Name, Index.Table);
}

internal sealed record DropIndex(string Name, string Table) : MigrationOp
{
    public override string Describe() => $"drop index {Name} on {Table}";
    public override MigrationOp Inverse(SchemaState before) => new CreateIndex(before.Index(Name));
}

internal sealed record AddForeignKey(string Table, ForeignKeyDef ForeignKey) : MigrationOp
{
    public override string Describe() => $"add {ForeignKey} on {Table}";
    public override MigrationOp Inverse(SchemaState before) => new DropForeignKey(Table, ForeignKey);
}

internal sealed record DropForeignKey(string Table, ForeignKeyDef ForeignKey) : MigrationOp
{
    public override string Describe() => $"drop {ForeignKey} on {Table}";
    public override MigrationOp Inverse(SchemaState before) => new AddForeignKey(Table, ForeignKey);
}

/// <summary>Replaces a table's primary key with one over <see cref="Columns"/>. Foreign keys that reference the table
/// must be dropped before and added after.</summary>
internal sealed record SetPrimaryKey(string Table, IReadOnlyList<string> Columns) : MigrationOp
{
    public override string Describe() => $"set primary key {Table} ({string.Join(",", Columns)})";
    public override MigrationOp Inverse(SchemaState before) => new SetPrimaryKey(Table, before.Table(Table).PrimaryKey);
}

internal sealed record CreateUpdatedAtTrigger(UpdatedAtTrigger Trigger) : MigrationOp
{
    public override string Describe() => $"create {Trigger}";
    public override MigrationOp Inverse(SchemaState before) => new DropUpdatedAtTrigger(Trigger.Name, Trigger.Table);
}

internal sealed record DropUpdatedAtTrigger(string Name, string Table) : MigrationOp
{
    public override string Describe() => $"drop trigger {Name} on {Table}";
    public override MigrationOp Inverse(SchemaState before) => new CreateUpdatedAtTrigger(before.Trigger(Name));
}

/// <summary>SQL for one engine (keyed by engine name: <c>sqlite</c>, <c>postgres</c>, <c>mysql</c>); other engines
/// skip it. Its effect on the declared schema is the engine's business, so it must not create or drop Parley's
/// tables, columns or indexes.</summary>
internal sealed record RawSql(IReadOnlyDictionary<string, string> ByEngine, IReadOnlyDictionary<string, string>? DownByEngine = null) : MigrationOp
{
    public override string Describe() =>
        "sql " + string.Join(" ", ByEngine.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"[{p.Key}] {p.Value}"));

    public override string Destructive(SchemaState before) => "runs hand-written SQL; review it";
    public override MigrationOp? Inverse(SchemaState before) => DownByEngine is null ? null : new RawSql(DownByEngine);
}

/// <summary>A C# step that moves data (backfills, reshapes) inside the migration's transaction. <see cref="Version"/>
/// names the step in the checksum: change it when the code changes.</summary>
internal sealed record DataStep(string Name, int Version, Action<MigrationContext> Run, Action<MigrationContext>? Undo = null) : MigrationOp
{
    public override string Describe() => $"data step {Name} v{Version}";
    public override MigrationOp? Inverse(SchemaState before) => Undo is null ? null : new DataStep(Name + " (undo)", Version, Undo);
}

/// <summary>What a data step gets: the connection inside the migration's transaction.</summary>
internal sealed class MigrationContext(System.Data.Common.DbConnection connection, string engine, Kernel.SqlFlavor flavor)
{
    public System.Data.Common.DbConnection Connection { get; } = connection;
    public string Engine { get; } = engine;

    /// <summary>How the engine binds Parley's values (times, flags).</summary>
    public Kernel.SqlFlavor Flavor { get; } = flavor;

    public int Execute(string sql, params (string Name, object? Value)[] args)
    {
        using var cmd = Connection.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in args)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = value ?? DBNull.Value;
            cmd.Parameters.Add(p);
        }
        return cmd.ExecuteNonQuery();
    }
}

/// <summary>A versioned, named list of operations with the operations that undo them.</summary>
internal sealed record Migration(int Version, string Name, IReadOnlyList<MigrationOp> Up, IReadOnlyList<MigrationOp> Down)
{
    /// <summary>A migration whose down steps are the inverses of its up steps, in reverse order.</summary>
    public static Migration Reversible(int version, string name, IReadOnlyList<MigrationOp> up, SchemaState before)
    {
        var state = before.Clone();
        var down = new List<MigrationOp>();
        foreach (var op in up)
        {
            down.Insert(0, op.Inverse(state) ?? throw new ArgumentException($"migration {version}: {op.Describe()} has no inverse; give the down steps.", nameof(up)));
            state.Apply(op);
        }
        return new Migration(version, name, up, down);
    }

    /// <summary>SHA-256 over the normalized operations: editing an applied migration changes it.</summary>
    /// <remarks>Computed on each read, not stored: a record copied with <c>with</c> must not keep the old sum.</remarks>
    public string Checksum => ComputeChecksum(Version, Name, Up, Down);

    public IEnumerable<string> DestructiveSteps(SchemaState before, bool down = false)
    {
        var state = before.Clone();
        foreach (var op in down ? Down : Up)
        {
            if (op.Destructive(state) is { } why) yield return $"v{Version} {(down ? "down" : "up")}: {why}";
            state.Apply(op);
        }
    }

    private static string ComputeChecksum(int version, string name, IReadOnlyList<MigrationOp> up, IReadOnlyList<MigrationOp> down)
    {
        var text = new StringBuilder().Append(version).Append('\n').Append(name).Append('\n');
        foreach (var op in up) text.Append("up ").Append(op.Describe()).Append('\n');
        foreach (var op in down) text.Append("down ").Append(op.Describe()).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
