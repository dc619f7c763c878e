namespace Parley.Tests;

public class SmokeTests
{
    [Fact]
    public async Task a_logged_message_can_be_read_back_with_its_session_summary()
    {
        await using var t = await TempLedger.OpenAsync();
        var sessionId = await t.NewSessionAsync("s1");
        var logged = await t.Ledger.LogMessageAsync(sessionId, new NewMessage { SenderType = SenderType.Agent, Channel = "whatsapp", Content = "hello" });
        Assert.True(logged.Created);
        var read = await t.Ledger.GetMessageAsync(logged.Message.Id);
        Assert.NotNull(read);
        Assert.Equal("hello", read.Content);
        Assert.Equal(MessageStatus.Pending, read.Status);
        var session = await t.Ledger.GetSessionAsync(sessionId);
        Assert.Equal(1, session!.Summary.MessageCount);
        Assert.Equal(["whatsapp"], session.Summary.ChannelsUsed);
        Assert.Equal(1, session.Summary.StatusCounts["pending"]);
    }
}
