namespace Parley.Tests;

[CollectionDefinition("working directory", DisableParallelization = true)]
public class WorkingDirectoryTests;

/// <summary>The README's library quick start is this code, compiled and run here, so it cannot rot.</summary>
[Collection("working directory")]
public class ReadmeQuickStartTests
{
    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Parley.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("run the tests inside the repository");
    }

    private static string Between(string text, string begin, string end)
    {
        var start = text.IndexOf(begin, StringComparison.Ordinal);
        var stop = text.IndexOf(end, StringComparison.Ordinal);
        Assert.True(start >= 0 && stop > start, $"markers {begin} … {end} not found");
        var lines = text[(start + begin.Length)..stop].Split('\n').Select(l => l.TrimEnd()).Where(l => !l.StartsWith("```", StringComparison.Ordinal)).ToList();
        var indent = lines.Where(l => l.Length > 0).Min(l => l.Length - l.TrimStart().Length);
        return string.Join("\n", lines.Select(l => l.Length >= indent ? l[indent..] : l)).Trim();
    }

    [Fact]
    public void the_readme_shows_exactly_the_code_this_test_runs()
    {
        var root = RepoRoot();
        var readme = Between(File.ReadAllText(Path.Combine(root, "README.md")), "<!-- quickstart:begin -->", "<!-- quickstart:end -->");
        var code = Between(File.ReadAllText(Path.Combine(root, "tests/Parley.Tests/ReadmeQuickStartTests.cs")), "// quickstart:" + "begin", "// quickstart:" + "end");
        Assert.Equal(code, readme);
    }

    [Fact]
    public async Task the_quick_start_runs_and_prints_the_message_history()
    {
        var previous = Directory.GetCurrentDirectory();
        var dir = Directory.CreateTempSubdirectory("parley-quickstart-");
        var output = new StringWriter();
        var console = Console.Out;
        Directory.SetCurrentDirectory(dir.FullName);
        Console.SetOut(output);
        try
        {
            await QuickStart();
        }
        finally
        {
            Console.SetOut(console);
            Directory.SetCurrentDirectory(previous);
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        }
        Assert.True(File.Exists(Path.Combine(dir.FullName, "app.db")));
        Assert.Equal("Read: Read (Applied) → Delivered (Stale)", output.ToString().Trim());
        dir.Delete(true);
    }

    private static async Task QuickStart()
    {
        // quickstart:begin
        await using var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = "sqlite:app.db" });

        // A session groups messages: a chat, a live-agent conversation, a bulk-send run.
        var session = (await ledger.CreateSessionAsync(new NewSession { Kind = "ai_chat", Title = "Order help" })).Session;

        // Log what was said. An idempotency key makes a retried call return the stored message.
        await ledger.LogMessageAsync(session.Id, new NewMessage { SenderType = SenderType.User, Content = "Where is my order?" });
        var reply = await ledger.LogMessageAsync(session.Id, new NewMessage
        {
            SenderType = SenderType.Ai, Channel = "whatsapp", Content = "It ships today.", IdempotencyKey = "reply-1",
        });

        // Provider callbacks arrive late, twice and out of order; the lifecycle rules make that harmless.
        await ledger.ReportStatusAsync(reply.Message.Id, new StatusReport { Status = MessageStatus.Read });
        await ledger.ReportStatusAsync(reply.Message.Id, new StatusReport { Status = MessageStatus.Delivered });

        // What happened to this message?
        var message = await ledger.GetMessageAsync(reply.Message.Id);
        Console.WriteLine($"{message!.Status}: {string.Join(" → ", message.Events!.Select(e => $"{e.Status} ({e.Outcome})"))}");
        // quickstart:end
    }
}
