using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Parley.Internal.Transfer;

/// <summary>Which file a path really is — the device and inode <c>stat(2)</c> gives after following symbolic links —
/// so two paths through a hard link, a symbolic link or <c>..</c> are known to be one file, and which other processes
/// hold a file open. On Linux only (glibc and musl lay out <c>st_dev</c> and <c>st_ino</c> first, 64 bits each, on
/// x86-64 and arm64); elsewhere the identity falls back to the path with its links resolved (docs/security.md).</summary>
internal static class FileIdentity
{
    /// <summary>The file's (device, inode), or null when it does not exist or cannot be asked about.</summary>
    public static (ulong Device, ulong Inode)? Of(string path)
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64)) return null;
        var buffer = new byte[256];
        int rc;
        try
        {
            rc = Stat(path, buffer);
        }
        catch (EntryPointNotFoundException)
        {
            // glibc before 2.33 exports stat only as __xstat, whose layout version is 1 on x86-64 and 0 on arm64.
            rc = XStat(RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 1 : 0, path, buffer);
        }
        if (rc != 0) return null;
        return (BinaryPrimitives.ReadUInt64LittleEndian(buffer), BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(8)));
    }

    /// <summary>Whether two paths name one file (both existing).</summary>
    public static bool Same(string a, string b)
    {
        if (Of(a) is { } x && Of(b) is { } y) return x == y;
        return File.Exists(a) && File.Exists(b) && string.Equals(Real(a), Real(b), OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
    }

    /// <summary>The path with a symbolic link at its end followed to the file it names.</summary>
    public static string Real(string path)
    {
        var full = Path.GetFullPath(path);
        try
        {
            return File.ResolveLinkTarget(full, returnFinalTarget: true)?.FullName ?? full;
        }
        catch (IOException)
        {
            return full;
        }
    }

    /// <summary>The id of another process that holds the file open (Linux, through <c>/proc/PID/fd</c>; processes of
    /// other users are seen only by root), or null.</summary>
    public static int? OpenElsewhere(string path)
    {
        if (Of(path) is not { } wanted || !Directory.Exists("/proc")) return null;
        foreach (var proc in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(proc), out var pid) || pid == Environment.ProcessId) continue;
            IEnumerable<string> fds;
            try
            {
                fds = Directory.GetFiles(Path.Combine(proc, "fd"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            if (fds.Any(fd => Of(fd) == wanted)) return pid;
        }
        return null;
    }

    [DllImport("libc", EntryPoint = "stat", SetLastError = true)]
    private static extern int Stat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, [Out] byte[] buffer);

    [DllImport("libc", EntryPoint = "__xstat", SetLastError = true)]
    private static extern int XStat(int version, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, [Out] byte[] buffer);
}
