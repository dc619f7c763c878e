namespace Parley.Internal.Schema;

/// <summary>The schema as the database reports it, read by an engine's introspection.</summary>
internal sealed record LiveSchema(IReadOnlyDictionary<string, LiveTable> Tables, IReadOnlyList<LiveIndex> Indexes, IReadOnlyList<LiveTrigger> Triggers);

internal sealed record LiveTable(string Name, IReadOnlyList<LiveColumn> Columns, IReadOnlyList<LiveForeignKey> ForeignKeys);

/// <summary>A column; <see cref="Type"/> and <see cref="Default"/> are in the engine's own spelling.</summary>
internal sealed record LiveColumn(string Name, string Type, bool NotNull, string? Default);

internal sealed record LiveForeignKey(IReadOnlyList<string> Columns, string RefTable, IReadOnlyList<string> RefColumns, bool CascadeDelete);

internal sealed record LiveIndex(string Name, string Table, IReadOnlyList<string> Columns, bool Unique, string? Where);

internal sealed record LiveTrigger(string Name, string Table);

/// <summary>A row of <c>parley_schema_history</c>.</summary>
internal sealed record HistoryRow(int Version, string Name, string Checksum, DateTimeOffset AppliedAt, long ExecutionMs, string AppliedBy, string State)
{
    /// <summary>The states that count as applied: run by Parley, or adopted with <c>parley db stamp</c>.</summary>
    public bool IsApplied => State is "applied" or "baseline";

    /// <summary>On an engine without transactional DDL, a migration that failed part way is recorded as
    /// <c>partial k/n</c>: its first k operations ran and took effect. Null for any other state.</summary>
    public int? PartialDone => State.StartsWith("partial ", StringComparison.Ordinal) &&
                               int.TryParse(State.AsSpan(8, State.IndexOf('/', StringComparison.Ordinal) - 8), System.Globalization.CultureInfo.InvariantCulture, out var k)
        ? k : null;

    public static string Partial(int done, int of) => $"partial {done}/{of}";
}
