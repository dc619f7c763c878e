namespace Parley.Internal.Schema;

/// <summary>What a dialect compiles an operation into; the engine executes it.</summary>
internal abstract record SchemaStep;

/// <summary>One SQL statement.</summary>
internal sealed record SqlStep(string Sql) : SchemaStep;

/// <summary>A table rebuilt to <see cref="Table"/> (SQLite's 12-step procedure, for what <c>ALTER TABLE</c> cannot
/// do): rows copied column by column (<see cref="CopiedColumns"/>), then the declared indexes and triggers of
/// <see cref="After"/> and every other index, trigger and view the database had are recreated.</summary>
internal sealed record RebuildStep(TableDef Table, IReadOnlyList<string> CopiedColumns, SchemaState After) : SchemaStep;

/// <summary>A C# data step.</summary>
internal sealed record DataStepRun(DataStep Step) : SchemaStep;
