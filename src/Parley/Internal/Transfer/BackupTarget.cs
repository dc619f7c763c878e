namespace Parley.Internal.Transfer;

/// <summary>Where <c>parley backup --out</c> may write (it "refuses an existing file unless --force, and never
/// writes over the live database"). Checked before anything is written; the rules are in docs/security.md.</summary>
internal static class BackupTarget
{
    private static readonly string[] SqliteSidecars = ["-wal", "-shm", "-journal"];

    /// <summary>Throws an <see cref="ArgumentException"/> (a usage mistake) when <paramref name="path"/> must not be
    /// written: a directory or a missing directory; the database being backed up (<paramref name="source"/>, a SQLite
    /// file) or one of its -wal/-shm/-journal files, however the path reaches it (hard link, symbolic link);
    /// any SQLite database in use (a -wal, -shm or -journal beside it, or another process holding the file open);
    /// and, unless <paramref name="force"/>, any existing file.</summary>
    public static void Check(string path, string? source, bool force)
    {
        var full = FilePlace.Check(path, path, "out");
        if (source is not null && ((string[])[source, .. SqliteSidecars.Select(s => source + s)]).Any(live => FileIdentity.Same(full, live)))
            throw new ArgumentException($"{path} is the database being backed up; a backup never writes over the live database (even with --force).", "out");
        var real = FileIdentity.Real(full);
        if (SqliteSidecars.FirstOrDefault(s => File.Exists(real + s)) is { } sidecar)
            throw new ArgumentException($"{path} is a SQLite database in use ({Path.GetFileName(real)}{sidecar} is beside it); a backup never writes over a live database (even with --force).", "out");
        if (!File.Exists(full)) return;
        if (FileIdentity.OpenElsewhere(full) is { } pid)
            throw new ArgumentException($"{path} is open in process {pid}; a backup never writes over a file in use (even with --force).", "out");
        if (!force)
            throw new ArgumentException($"{path} already exists; pass --force to replace it.", "out");
    }
}
