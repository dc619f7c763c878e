using Parley.Internal.Kernel;

namespace Parley.Internal.Schema;

/// <summary>The schema engine for a database URL (the engine is chosen by <see cref="LedgerEngine.For"/>).</summary>
internal static class SchemaEngines
{
    public static ISchemaEngine For(string databaseUrl, TimeSpan lockTimeout, bool needsDatabase = true)
    {
        var url = DatabaseUrl.Parse(databaseUrl);
        return LedgerEngine.For(url).Schema(url, lockTimeout, needsDatabase);
    }

    public static SchemaRunner Runner(ISchemaEngine engine, Action<string>? progress = null) =>
        new(engine, ParleySchema.Migrations, TimeProvider.System, progress);
}
