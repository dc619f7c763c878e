using System.Runtime.InteropServices;

namespace Parley.Internal.Sqlite;

/// <summary>Notices that the WAL file the writer commits into is no longer the file at its path — deleted (an
/// operator's <c>rm parley.db-wal</c>) or replaced. SQLite goes on writing to the open, unlinked file, so such
/// commits would vanish with the process; docs/reliability.md says what Parley does instead. One <c>stat</c> per
/// commit: the WAL's inode is taken at the first commit and compared after each.</summary>
internal sealed unsafe partial class SqliteWalGuard(string databasePath)
{
    public string WalPath { get; } = databasePath + "-wal";
    private ulong? _inode;

    /// <summary>True while the file at the WAL's path is the one this connection writes.</summary>
    public bool Intact()
    {
        var now = Identity(WalPath);
        if (now is null) return false;
        _inode ??= now;
        return _inode == now;
    }

    // The file's inode on Linux (stat(2): st_dev, then st_ino, both 8 bytes on x86-64 and arm64); elsewhere only
    // whether it exists.
    private static ulong? Identity(string path)
    {
        if (!OperatingSystem.IsLinux() || !(RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64))
            return File.Exists(path) ? 0UL : null;
        var buffer = stackalloc byte[256];
        return Stat(path, buffer) == 0 ? *(ulong*)(buffer + 8) : null;
    }

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Stat(string path, byte* buffer);
}
