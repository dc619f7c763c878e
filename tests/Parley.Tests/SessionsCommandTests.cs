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
}
