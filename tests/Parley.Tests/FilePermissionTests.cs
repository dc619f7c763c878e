using Microsoft.Data.Sqlite;
using Parley.Internal.Spool;

namespace Parley.Tests;

/// <summary>The files Parley creates hold ledger data or secrets, so they are created owner-only (0600) whatever the
/// umask lets others read: the SQLite database and its -wal and -shm, the spool and its position file, backups in
/// both formats, and the key secret — and a key secret others can read is refused, saying how to mend it.</summary>
public sealed class FilePermissionTests : IAsyncDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly string _dir = Directory.CreateTempSubdirectory("parley-modes-").FullName;

    private string DbPath => Path.Combine(_dir, "parley.db");

    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
        return ValueTask.CompletedTask;
    }

    /// <summary>Owner-only on Unix; Windows has no such mode to check.</summary>
    internal static void AssertOwnerOnly(string path)
    {
        if (OperatingSystem.IsWindows()) return;
        Assert.True(File.GetUnixFileMode(path) == OwnerOnly, $"{Path.GetFileName(path)} is {File.GetUnixFileMode(path)}, not owner-only");
    }

    private static void LetOthersRead(string path)
    {
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    [Fact]
    public async Task a_database_the_ledger_creates_is_owner_only_with_its_wal_and_shm()
    {
        await using var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = "sqlite:" + DbPath });
        await ledger.CreateSessionAsync(new NewSession { Id = "s" });
        AssertOwnerOnly(DbPath);
        AssertOwnerOnly(DbPath + "-wal");
        AssertOwnerOnly(DbPath + "-shm");
    }

    [Fact]
    public async Task the_migration_lock_holder_file_is_owner_only()
    {
        await (await Ledger.OpenAsync(new LedgerOptions { Database = "sqlite:" + DbPath })).DisposeAsync();
        using var migrator = Parley.Internal.Schema.SchemaEngines.For("sqlite:" + DbPath, TimeSpan.FromSeconds(5));
        migrator.Lock(_ => { });
        try
        {
            AssertOwnerOnly(DbPath + ".migration-lock");
        }
        finally
        {
            migrator.Unlock(commit: false);
        }
    }

    [Fact]
    public async Task a_database_db_migrate_creates_and_both_kinds_of_backup_are_owner_only()
    {
        var url = "sqlite:" + DbPath;
        Assert.Equal(0, (await ChildProcess.ParleyAsync("db", "migrate", "--db", url)).Exit);
        AssertOwnerOnly(DbPath);
        foreach (var (file, ndjson) in (ValueTuple<string, bool>[])[(Path.Combine(_dir, "b.db"), false), (Path.Combine(_dir, "b.ndjson"), true)])
        {
            var (exit, stdout, stderr) = await ChildProcess.ParleyAsync(ndjson ? ["backup", "--db", url, "--out", file, "--ndjson"] : ["backup", "--db", url, "--out", file]);
            Assert.True(exit == 0, stdout + stderr);
            AssertOwnerOnly(file);
        }
    }

    [Fact]
    public void the_spool_and_its_position_file_are_created_owner_only()
    {
        var path = Path.Combine(_dir, "parley.db.spool");
        using (var spool = SpoolFile.Open(path, 1 << 20)) spool.Append([[1, 2, 3]]);
        AssertOwnerOnly(path);
        AssertOwnerOnly(path + ".pos");
    }

    [Fact]
    public void the_key_secret_is_created_owner_only_and_one_others_can_read_is_refused()
    {
        var url = "sqlite:" + DbPath;
        var secret = KeySecret.Load(url);
        Assert.Equal(32, secret.Length);
        AssertOwnerOnly(DbPath + ".keys-secret");
        Assert.Equal(secret, KeySecret.Load(url));
        Assert.Empty(Directory.GetFiles(_dir, "*.partial"));

        LetOthersRead(DbPath + ".keys-secret");
        var e = Assert.Throws<ParleyException>(() => KeySecret.Load(url));
        Assert.Contains($"run `chmod 600 {DbPath}.keys-secret`", e.Message);
    }

    [Fact]
    public async Task parley_keys_create_refuses_a_key_secret_others_can_read_in_one_line()
    {
        var url = "sqlite:" + DbPath;
        Assert.Equal(0, (await ChildProcess.ParleyAsync("db", "migrate", "--db", url)).Exit);
        await File.WriteAllTextAsync(DbPath + ".keys-secret", Convert.ToBase64String(new byte[32]));
        LetOthersRead(DbPath + ".keys-secret");
        var (exit, _, stderr) = await ChildProcess.ParleyAsync("keys", "create", "--db", url, "--admin", "--name", "ops");
        CliFailureTests.AssertOneLine(stderr);
        Assert.Contains("can be read by other users", stderr);
        Assert.Contains("chmod 600", stderr);
        Assert.Equal(1, exit);
    }
}
