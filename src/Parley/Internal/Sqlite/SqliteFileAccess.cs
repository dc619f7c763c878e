using System.Runtime.InteropServices;

namespace Parley.Internal.Sqlite;

/// <summary>Says which of the files SQLite needs to write (the database, its <c>-wal</c> and <c>-shm</c>, and their
/// directory, where those two are created) this process may not write, so that a refusal to open names them. It asks
/// <c>access(2)</c> rather than opening the files: closing a descriptor of a database file would drop this
/// process's SQLite locks on it.</summary>
internal static partial class SqliteFileAccess
{
    private const int WriteOk = 2; // W_OK

    /// <summary>The files and directory that are not writable, or an empty list (also where this cannot be asked).</summary>
    public static List<string> NotWritable(string databasePath)
    {
        List<string> refused = [];
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return refused;
        foreach (var file in (string[])[databasePath, databasePath + "-wal", databasePath + "-shm"])
            if (File.Exists(file) && Access(file, WriteOk) != 0) refused.Add(file);
        var dir = Path.GetDirectoryName(databasePath);
        if (dir is not null && Access(dir, WriteOk) != 0) refused.Add(dir + "/ (the directory, where the -wal and -shm files are created)");
        return refused;
    }

    [LibraryImport("libc", EntryPoint = "access", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Access(string path, int mode);
}
