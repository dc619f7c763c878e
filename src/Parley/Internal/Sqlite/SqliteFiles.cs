namespace Parley.Internal.Sqlite;

/// <summary>What Parley checks about a SQLite path before SQLite opens it, so a wrong path fails with one line naming
/// the file instead of SQLite's bare "unable to open database file" or "file is not a database" — and so a command
/// that only reads never creates a database where a path was mistyped.</summary>
internal static class SqliteFiles
{
    private static ReadOnlySpan<byte> Header => "SQLite format 3\0"u8;

    /// <summary>Throws an <see cref="ArgumentException"/> naming <c>sqlite:<paramref name="target"/></c> when its
    /// directory is missing, when it is a directory, or when it exists and is neither empty nor a SQLite database;
    /// with <paramref name="mustExist"/>, also when it does not exist.</summary>
    public static void Check(string target, bool mustExist)
    {
        var full = FilePlace.Check(target, "sqlite:" + target, "database");
        if (!File.Exists(full))
        {
            if (mustExist)
                throw new ArgumentException($"sqlite:{target} does not exist (nothing was created); check the path, or create the database with `parley db migrate`.", "database");
            return;
        }
        // An empty file is a database SQLite has not written yet.
        if (new FileInfo(full).Length > 0 && !HasHeader(full))
            throw new ArgumentException($"sqlite:{target} is not a SQLite database (the file does not start with the SQLite header).", "database");
    }

    /// <summary>Whether the file starts with the 16-byte SQLite header.</summary>
    public static bool HasHeader(string path)
    {
        Span<byte> first = stackalloc byte[16];
        using var f = File.OpenRead(path);
        return f.ReadAtLeast(first, 16, throwOnEndOfStream: false) == 16 && first.SequenceEqual(Header);
    }
}
