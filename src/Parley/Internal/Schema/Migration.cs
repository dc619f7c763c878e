using System.Security.Cryptography;
using System.Text;

namespace Parley.Internal.Schema;

/// <summary>One step of a migration, independent of the engine; a dialect compiles it to DDL.</summary>
internal abstract record MigrationOp
{
    /// <summary>The normalized text the migration checksum is computed over.</summary>
    public abstract string Describe();
}

internal sealed record CreateTable(TableDef Table) : MigrationOp
{
    public override string Describe() => $"create {Table}";
}

internal sealed record DropTable(string Name) : MigrationOp
{
    public override string Describe() => $"drop table {Name}";
}

internal sealed record CreateIndex(IndexDef Index) : MigrationOp
{
    public override string Describe() => $"create {Index}";
}

internal sealed record DropIndex(string Name, string Table) : MigrationOp
{
    public override string Describe() => $"drop index {Name} on {Table}";
}

/// <summary>A versioned, named list of operations with the operations that undo them.</summary>
internal sealed record Migration(int Version, string Name, IReadOnlyList<MigrationOp> Up, IReadOnlyList<MigrationOp> Down)
{
    /// <summary>SHA-256 over the normalized operations: editing an applied migration changes it.</summary>
    /// <remarks>Computed on each read, not stored: a record copied with <c>with</c> must not keep the old sum.</remarks>
    public string Checksum => ComputeChecksum(Version, Name, Up, Down);

    private static string ComputeChecksum(int version, string name, IReadOnlyList<MigrationOp> up, IReadOnlyList<MigrationOp> down)
    {
        var text = new StringBuilder().Append(version).Append('\n').Append(name).Append('\n');
        foreach (var op in up) text.Append("up ").Append(op.Describe()).Append('\n');
        foreach (var op in down) text.Append("down ").Append(op.Describe()).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
