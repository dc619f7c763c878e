using Parley.Client;

namespace Parley.Tests;

/// <summary>Parley.Client's analytics calls through the contract proxy on each engine: the same figures the ledger
/// answers, a tenant view confined to its tenant, and a bad parameter a ParleyBadRequestException naming it.</summary>
public class ClientStatsTests
{
    [EngineTheory]
    [MemberData(nameof(TestDatabases.All), MemberType = typeof(TestDatabases))]
    public async Task the_client_answers_the_ledgers_figures(string engine)
    {
        await using var s = await ServerFixture.StartThroughContractAsync(engine);
        var acme = s.Ledger.ForTenant("acme");
        var session = (await acme.CreateSessionAsync(new NewSession { Id = "a" })).Session.Id;
        var logged = await acme.LogMessagesAsync(session, [.. Enumerable.Range(0, 8).Select(i => new NewMessage
        {
            SenderType = SenderType.System, Channel = i % 2 == 0 ? "sms" : "email", Template = i % 3 == 0 ? null : "otp", Content = "x", Status = MessageStatus.Sent,
        })]);
        for (var i = 0; i < 5; i++)
            await acme.ReportStatusAsync(logged[i].Message.Id, new StatusReport { Status = MessageStatus.Delivered, At = logged[i].Message.CreatedAt.AddMilliseconds(300 * (i + 1)) });
        await acme.ReportStatusAsync(logged[7].Message.Id, new StatusReport { Status = MessageStatus.Failed, ErrorCode = "63016" });
        var other = (await s.Ledger.ForTenant("globex").CreateSessionAsync(new NewSession { Id = "g" })).Session.Id;
        await s.Ledger.ForTenant("globex").LogMessageAsync(other, new NewMessage { SenderType = SenderType.System, Content = "y" });

        var client = new ParleyClient(s.Http).ForTenant("acme");
        var query = new StatsQuery { Days = 2, TimeZone = "America/St_Johns" };
        var expected = await acme.GetStatsAsync(query);
        var got = await client.GetStatsAsync(query);
        Assert.Equal((expected.Since, expected.Until, expected.TimeZone, expected.RelativeError), (got.Since, got.Until, got.TimeZone, got.RelativeError));
        Same(expected.Overall, got.Overall);
        Assert.Equal(expected.ByChannel.Select(c => c.Channel), got.ByChannel.Select(c => c.Channel));
        foreach (var (e, g) in expected.ByChannel.Zip(got.ByChannel)) Same(e.Stats, g.Stats);
        Assert.Equal(expected.ByTemplate.Select(c => c.Template), got.ByTemplate.Select(c => c.Template));
        foreach (var (e, g) in expected.ByTemplate.Zip(got.ByTemplate)) Same(e.Stats, g.Stats);
        Assert.Equal(8, got.Overall.Messages);

        var daily = await client.GetDailyStatsAsync(query);
        var expectedDaily = await acme.GetDailyStatsAsync(query);
        Assert.Equal(expectedDaily.Days.Select(d => (d.Date, d.Messages, d.DeliveryRate)), daily.Days.Select(d => (d.Date, d.Messages, d.DeliveryRate)));
        Assert.Equal(await acme.GetErrorStatsAsync(query), await client.GetErrorStatsAsync(query));

        var bad = await Assert.ThrowsAsync<ParleyBadRequestException>(() => client.GetStatsAsync(new StatsQuery { Days = 0 }));
        Assert.True(bad.Errors.ContainsKey("days"));
    }

    private static void Same(MessageStats expected, MessageStats got)
    {
        Assert.Equal(expected.Messages, got.Messages);
        Assert.Equal(expected.StatusCounts.OrderBy(p => p.Key), got.StatusCounts.OrderBy(p => p.Key));
        Assert.Equal((expected.DeliveryRate, expected.ReadRate, expected.FailureRate), (got.DeliveryRate, got.ReadRate, got.FailureRate));
        Assert.Equal(expected.SentToDelivered, got.SentToDelivered);
        Assert.Equal(expected.DeliveredToRead, got.DeliveredToRead);
    }
}
