using Parley.Internal.Sqlite;

namespace Parley.Internal.Schema;

/// <summary>The schema engine for a database URL: the one switch on the engine kind, kept here.</summary>
internal static class SchemaEngines
{
    public static ISchemaEngine For(string databaseUrl, TimeSpan lockTimeout, bool needsDatabase = true)
    {
        var url = DatabaseUrl.Parse(databaseUrl);
        return url.Engine switch
        {
            "sqlite" => new SqliteSchemaEngine(needsDatabase ? Path.GetFullPath(url.Target) : null, lockTimeout),
            _ => throw new ArgumentException($"{url.Engine} databases are not supported by this build yet; use sqlite:path.", "database"),
        };
    }

    public static SchemaRunner Runner(ISchemaEngine engine, Action<string>? progress = null) =>
        new(engine, ParleySchema.Migrations, TimeProvider.System, progress);
}
