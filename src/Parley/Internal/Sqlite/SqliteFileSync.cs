using System.Runtime.InteropServices;
using SQLitePCL;

namespace Parley.Internal.Sqlite;

/// <summary>Flushes a connection's database file to disk through SQLite's own VFS: the file's handle comes from
/// <c>sqlite3_file_control(SQLITE_FCNTL_FILE_POINTER)</c> and is synced by its <c>xSync</c> method, both public
/// SQLite API (https://sqlite.org/c3ref/file_control.html, https://sqlite.org/c3ref/io_methods.html). SQLitePCLRaw does
/// not expose the file control, so it is called in the bundled <c>e_sqlite3</c> library; with another native
/// SQLite (a provider chosen by the application) nothing is done and callers lose only the head start.</summary>
internal static unsafe partial class SqliteFileSync
{
    private const int FileControlFilePointer = 7; // SQLITE_FCNTL_FILE_POINTER
    private const int SyncNormal = 2; // SQLITE_SYNC_NORMAL
    private static bool _unavailable;

    /// <summary>Syncs the main database file of <paramref name="db"/>; false when that cannot be done here.</summary>
    public static bool TrySync(sqlite3 db)
    {
        if (_unavailable) return false;
        try
        {
            if (raw.GetNativeLibraryName() != "e_sqlite3")
            {
                _unavailable = true;
                return false;
            }
            void* file = null;
            fixed (byte* main = "main\0"u8)
            {
                if (FileControl(db.DangerousGetHandle(), main, FileControlFilePointer, &file) != raw.SQLITE_OK || file is null) return false;
            }
            var methods = *(IoMethods**)file; // sqlite3_file begins with its pMethods
            return methods->Sync(file, SyncNormal) == raw.SQLITE_OK;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _unavailable = true;
            return false;
        }
    }

    [LibraryImport("e_sqlite3", EntryPoint = "sqlite3_file_control")]
    private static partial int FileControl(nint db, byte* dbName, int op, void* arg);

    // The head of sqlite3_io_methods, as sqlite3.h declares it.
    [StructLayout(LayoutKind.Sequential)]
    private struct IoMethods
    {
        public int Version;
        public nint Close, Read, Write, Truncate;
        public delegate* unmanaged<void*, int, int> Sync;
    }
}
