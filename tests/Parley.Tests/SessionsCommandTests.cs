using System.Text.Json;

namespace Parley.Tests;

/// <summary>`parley sessions list | show` as a real process.</summary>
public class SessionsCommandTests : IDisposable
{
    private readonly SchemaFixture _db = new();

    public void Dispose() => _db.Dispose();

    [Fact]
    public async Task sessions_are_listed_and_shown_as_text_and_json()
    {
        await _db.SeedAsync(4);
        var (exit, stdout, _) = await ChildProcess.ParleyAsync("sessions", "list", "--db", _db.Url, "--json");
        Assert.Equal(0, exit);
        var page = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(1, page.GetProperty("total").GetInt32());
        Assert.Equal(4, page.GetProperty("items")[0].GetProperty("summary").GetProperty("message_count").GetInt32());

        (exit, stdout, _) = await ChildProcess.ParleyAsync("sessions", "show", "s", "--db", _db.Url);
        Assert.Equal(0, exit);
        Assert.Contains("session   s (chat, active) \"Ünïcödé ✓\"", stdout);
        Assert.Contains("messages  4:", stdout);

        (exit, _, var stderr) = await ChildProcess.ParleyAsync("sessions", "show", "missing", "--db", _db.Url);
        Assert.Equal(1, exit);
        Assert.Contains("session 'missing' does not exist", stderr);

        (exit, _, stderr) = await ChildProcess.ParleyAsync("sessions", "list", "--per-page", "500", "--db", _db.Url);
        Assert.Equal(2, exit);
        Assert.Contains("per_page must be between 1 and 200", stderr);
    }

    [Fact]
    public async Task keys_are_created_once_listed_without_secrets_and_revoked()
    {
        var (exit, stdout, _) = await ChildProcess.ParleyAsync("keys", "create", "--tenant", "acme", "--db", _db.Url, "--json");
        Assert.Equal(0, exit);
        var created = JsonDocument.Parse(stdout).RootElement;
        var id = created.GetProperty("id").GetString()!;
        Assert.StartsWith($"pk_{id}_", created.GetProperty("key").GetString());

        (exit, stdout, _) = await ChildProcess.ParleyAsync("keys", "list", "--db", _db.Url, "--json");
        var listed = JsonDocument.Parse(stdout).RootElement[0];
        Assert.Equal(id, listed.GetProperty("id").GetString());
        Assert.Equal("acme", listed.GetProperty("tenant").GetString());
        Assert.DoesNotContain(created.GetProperty("key").GetString()!.Split('_', 3)[2], stdout);

        Assert.Equal(0, (await ChildProcess.ParleyAsync("keys", "revoke", id, "--db", _db.Url)).Exit);
        Assert.Equal(1, (await ChildProcess.ParleyAsync("keys", "revoke", id, "--db", _db.Url)).Exit);
        (exit, _, var stderr) = await ChildProcess.ParleyAsync("keys", "create", "--db", _db.Url);
        Assert.Equal(2, exit);
        Assert.Contains("--tenant T or --admin", stderr);
    }
}
