namespace Parley.Internal;

/// <summary>Where Parley is about to open or create a file: the path must not be a directory, and its directory must
/// exist — said in one line naming the path, before any file is touched.</summary>
internal static class FilePlace
{
    /// <summary>The full path, or an <see cref="ArgumentException"/> for <paramref name="param"/> naming
    /// <paramref name="shown"/>.</summary>
    public static string Check(string path, string shown, string param)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new ArgumentException($"{shown} is a directory, not a file.", param);
        var dir = Path.GetDirectoryName(full);
        if (dir is not null && !Directory.Exists(dir))
            throw new ArgumentException($"the directory of {shown} does not exist ({dir}).", param);
        return full;
    }
}
