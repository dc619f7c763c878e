using Parley.Internal;
using Parley.Internal.Kernel;

namespace Parley;

/// <summary>The secret API key hashes are keyed with (docs/security.md, "API keys"), kept outside the database:
/// <c>PARLEY_KEY_SECRET</c> (32+ bytes, base64), or for a database held in a file (SQLite) a file beside it
/// (<c>app.db.keys-secret</c>), created on first use and readable by its owner only. Pass it to
/// <see cref="Ledger.CreateApiKeyAsync"/> and <see cref="Ledger.AuthenticateAsync"/>.</summary>
public static class KeySecret
{
    private const string Variable = "PARLEY_KEY_SECRET";

    /// <summary>The secret for <paramref name="database"/>, or null when there is none to be had: a server database
    /// without <c>PARLEY_KEY_SECRET</c>.</summary>
    public static byte[]? TryLoad(string database) =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } || FileBeside(database) is not null ? Load(database) : null;

    /// <summary>The secret for <paramref name="database"/>; throws <see cref="ArgumentException"/> when
    /// <c>PARLEY_KEY_SECRET</c> is malformed, or is missing for a server database.</summary>
    public static byte[] Load(string database)
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } env)
        {
            try
            {
                var bytes = Convert.FromBase64String(env);
                if (bytes.Length >= 32) return bytes;
            }
            catch (FormatException)
            {
            }
            throw new ArgumentException($"{Variable} must be at least 32 bytes, base64-encoded.", Variable);
        }
        var path = FileBeside(database)
                   ?? throw new ArgumentException($"set {Variable} (32+ random bytes, base64) to use API keys with a server database.", Variable);
        if (!File.Exists(path)) Create(path);
        PrivateFile.RequireOwnerOnly(path, "the key secret");
        return Convert.FromBase64String(File.ReadAllText(path).Trim());
    }

    private static string? FileBeside(string database)
    {
        var url = DatabaseUrl.Parse(database);
        return LedgerEngine.For(url).DatabaseFile(url) is { } file ? file + ".keys-secret" : null;
    }

    /// <summary>Writes a new secret into a file created owner-only (0600) and complete before it takes its name, so
    /// no one else can ever read it and a process starting at the same time reads this secret or its own whole.</summary>
    private static void Create(string path)
    {
        var temp = $"{path}.{Guid.NewGuid():N}.partial";
        try
        {
            using (var file = PrivateFile.Create(temp))
            {
                file.Write(System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))));
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created the secret first: use that one.
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
