using Parley.Internal.Transfer;

namespace Parley.Internal.Sqlite;

/// <summary>Notices that the WAL file the writer commits into is no longer the file at its path — deleted (an
/// operator's <c>rm parley.db-wal</c>) or replaced. SQLite goes on writing to the open, unlinked file, so such
/// commits would vanish with the process; docs/reliability.md says what Parley does instead. One <c>stat</c> per
/// commit: the WAL's identity is taken at the first commit and compared after each (where the inode cannot be
/// asked, only whether the file still exists).</summary>
internal sealed class SqliteWalGuard(string databasePath)
{
    public string WalPath { get; } = databasePath + "-wal";
    private (ulong Device, ulong Inode)? _identity;

    /// <summary>True while the file at the WAL's path is the one this connection writes.</summary>
    public bool Intact()
    {
        if (FileIdentity.Of(WalPath) is not { } now) return File.Exists(WalPath);
        _identity ??= now;
        return _identity == now;
    }
}
