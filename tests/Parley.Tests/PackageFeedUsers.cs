namespace Parley.Tests;

/// <summary>The tests that use Parley's packages share one <see cref="PackageFeed"/> (packed once per run), and run
/// alone: packing builds the solution again, which would slow every timed test running beside it.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PackageFeedUsers : ICollectionFixture<PackageFeed>
{
    public const string Name = "packages";
}
