namespace Parley.Tests;

/// <summary><c>parley db check [--repair]</c> as a real process on every engine: a clean ledger passes; summaries,
/// summary counts and a status broken by hand are each found (exit 3), recomputed by <c>--repair</c>, and then pass.</summary>
public class DataCheckTests
{
    [EngineTheory]
    [MemberData(nameof(TestDatabases.All), MemberType = typeof(TestDatabases))]
    public async Task derived_data_broken_by_hand_is_found_and_recomputed(string engine)
    {
        using var db = new EngineDatabase(engine);
        await db.SeedAsync(30);
        string reported;
        MessageStatus before;
        await using (var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = db.Url }))
        {
            var transcript = await ledger.GetTranscriptAsync("s", new TranscriptQuery { Limit = 5 });
            reported = transcript.Items[0].Id;
            await ledger.ReportStatusAsync(reported, new StatusReport { Status = MessageStatus.Delivered, At = DateTimeOffset.UtcNow.AddMinutes(-1) });
            await ledger.ReportStatusAsync(transcript.Items[1].Id, new StatusReport { Status = MessageStatus.Failed, ErrorCode = "E1" });
            await ledger.MarkReadAsync("s", new ReadMarker { Reader = Reader.Agent });
            before = (await ledger.GetMessageAsync(reported))!.Status;
        }
        var clean = await ChildProcess.ParleyAsync("db", "check", "--db", db.Url);
        Assert.True(clean.Exit == 0, clean.Out + clean.Err);
        Assert.Contains("no problems found", clean.Out);

        db.Exec("UPDATE parley_sessions SET message_count = 7, unread_for_user = 99 WHERE id = 's'");
        db.Exec("UPDATE parley_session_facets SET n = n + 5 WHERE facet = 'channel'");
        db.Exec($"UPDATE parley_messages SET status = 'pending', delivered_at = NULL WHERE id = '{reported}'");

        var found = await ChildProcess.ParleyAsync("db", "check", "--db", db.Url);
        Assert.True(found.Exit == 3, found.Out + found.Err);
        Assert.Contains("summaries: session s: stored 7 messages", found.Out);
        Assert.Contains("summary counts: session s: channel whatsapp: stored 35, real 30", found.Out);
        Assert.Contains($"statuses: message {reported}: stored pending", found.Out);
        Assert.Contains("3 problem(s); `parley db check --repair` recomputes the derived ones", found.Out);

        var repaired = await ChildProcess.ParleyAsync("db", "check", "--repair", "--db", db.Url);
        Assert.True(repaired.Exit == 0, repaired.Out + repaired.Err);
        Assert.Contains("3 problem(s), 3 repaired", repaired.Out);

        var after = await ChildProcess.ParleyAsync("db", "check", "--db", db.Url, "--json");
        Assert.True(after.Exit == 0, after.Out + after.Err);
        Assert.Equal(30, db.Scalar("SELECT message_count FROM parley_sessions WHERE id = 's'"));
        await using var reopened = await Ledger.OpenAsync(new LedgerOptions { Database = db.Url });
        Assert.Equal(MessageStatus.Read, before);
        Assert.Equal(before, (await reopened.GetMessageAsync(reported))!.Status);
    }
}
