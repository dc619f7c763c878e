namespace Parley.Internal;

/// <summary>Files Parley creates that hold ledger data or secrets — the SQLite database, the spool and its side
/// files, backups, the key secret — are created readable and writable by their owner only (0600 on Unix), in the
/// same call that creates them, before a byte is written (docs/security.md).</summary>
internal static class PrivateFile
{
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Options that create the file owner-only when <paramref name="mode"/> creates it.</summary>
    public static FileStreamOptions Options(FileMode mode, FileAccess access, FileShare share, int bufferSize = 4096)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = share, BufferSize = bufferSize };
        if (!OperatingSystem.IsWindows() && mode is not (FileMode.Open or FileMode.Truncate)) options.UnixCreateMode = OwnerOnly;
        return options;
    }

    /// <summary>A new file, owner-only; fails if the path exists.</summary>
    public static FileStream Create(string path) => new(path, Options(FileMode.CreateNew, FileAccess.Write, FileShare.None));

    /// <summary>Creates <paramref name="path"/> empty and owner-only unless it exists. For a SQLite database: SQLite
    /// keeps an existing file's mode and gives its -wal, -shm and journal files the same one.</summary>
    public static void Ensure(string path)
    {
        if (File.Exists(path)) return;
        try
        {
            using var created = new FileStream(path, Options(FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite));
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created it first; its mode is its creator's.
        }
    }

    /// <summary>Refuses a file that users other than its owner may read or write (Unix), saying how to mend it.</summary>
    public static void RequireOwnerOnly(string path, string what)
    {
        if (OperatingSystem.IsWindows()) return;
        var mode = File.GetUnixFileMode(path);
        if ((mode & ~(OwnerOnly | UnixFileMode.UserExecute)) != 0)
            throw new ParleyException($"{what} {path} can be read by other users (mode {Convert.ToString((int)mode, 8)}); run `chmod 600 {path}` and try again.");
    }
}
