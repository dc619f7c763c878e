namespace Parley.Tests;

/// <summary>docs/lifecycle.md, rule by rule, through the ledger on a real database of every engine.</summary>
public abstract class LifecycleRulesTests(string engine) : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);
    private TempLedger _t = null!;
    private string _session = null!;

    public async Task InitializeAsync()
    {
        _t = await TempLedger.OpenAsync(engine);
        _session = await _t.NewSessionAsync();
    }

    public async Task DisposeAsync() => await _t.DisposeAsync();

    private Ledger L => _t.Ledger;

    private async Task<string> Outbound(string? providerId = null) =>
        (await L.LogMessageAsync(_session, new NewMessage { SenderType = SenderType.System, Channel = "sms", Content = "code 1234", ProviderMessageId = providerId })).Message.Id;

    private Task<StatusReportResult> Report(string id, MessageStatus status, int minutes, string? code = null, string? text = null) =>
        L.ReportStatusAsync(id, new StatusReport { Status = status, At = T0.AddMinutes(minutes), ErrorCode = code, ErrorMessage = text });

    [Fact]
    public async Task a_higher_rank_applies_and_a_lower_one_is_stored_as_stale()
    {
        var id = await Outbound();
        Assert.Equal(ReportOutcome.Applied, (await Report(id, MessageStatus.Delivered, 2)).Outcome);
        var stale = await Report(id, MessageStatus.Sent, 1);
        Assert.Equal(ReportOutcome.Stale, stale.Outcome);
        Assert.Equal(MessageStatus.Delivered, stale.Message!.Status);
        var events = (await L.GetMessageAsync(id))!.Events!;
        Assert.Equal([ReportOutcome.Applied, ReportOutcome.Stale], events.Select(e => e.Outcome));
        Assert.Equal([true, false], events.Select(e => e.Applied));
    }

    [Fact]
    public async Task read_report_after_failed_upgrades_the_message()
    {
        var id = await Outbound();
        await Report(id, MessageStatus.Failed, 1, "30007", "carrier violation");
        var r = await Report(id, MessageStatus.Read, 2);
        Assert.Equal(ReportOutcome.Applied, r.Outcome);
        Assert.Equal(MessageStatus.Read, r.Message!.Status);
    }

    [Fact]
    public async Task sent_after_failed_is_stale_and_failed_after_delivered_is_stale()
    {
        var a = await Outbound();
        await Report(a, MessageStatus.Failed, 1, "E1");
        Assert.Equal(ReportOutcome.Stale, (await Report(a, MessageStatus.Sent, 2)).Outcome);
        Assert.Equal(ReportOutcome.Stale, (await Report(a, MessageStatus.Sending, 3)).Outcome);
        Assert.Equal(ReportOutcome.Stale, (await Report(a, MessageStatus.Pending, 4)).Outcome);

        var b = await Outbound();
        await Report(b, MessageStatus.Delivered, 1);
        var r = await Report(b, MessageStatus.Failed, 2, "E2", "late failure");
        Assert.Equal(ReportOutcome.Stale, r.Outcome);
        Assert.Equal(MessageStatus.Delivered, r.Message!.Status);
    }

    [Fact]
    public async Task each_time_holds_the_earliest_report_of_its_status_even_from_stale_reports()
    {
        var id = await Outbound();
        await Report(id, MessageStatus.Delivered, 10);
        await Report(id, MessageStatus.Sent, 5);
        await Report(id, MessageStatus.Sent, 3);
        var r = await Report(id, MessageStatus.Delivered, 7);
        Assert.Equal(T0.AddMinutes(3), r.Message!.SentAt);
        Assert.Equal(T0.AddMinutes(7), r.Message!.DeliveredAt);
        Assert.False(r.Message.DeliveredImplied);
    }

    [Fact]
    public async Task a_read_report_implies_delivered_and_sent_until_real_reports_replace_them()
    {
        var id = await Outbound();
        var r = await Report(id, MessageStatus.Read, 9);
        Assert.Equal(T0.AddMinutes(9), r.Message!.DeliveredAt);
        Assert.True(r.Message.DeliveredImplied);
        Assert.Equal(T0.AddMinutes(9), r.Message!.SentAt);

        // A later real delivered report replaces the implied time, even though it is later than the read.
        r = await Report(id, MessageStatus.Delivered, 12);
        Assert.Equal(T0.AddMinutes(12), r.Message!.DeliveredAt);
        Assert.False(r.Message.DeliveredImplied);
        r = await Report(id, MessageStatus.Sent, 11);
        Assert.Equal(T0.AddMinutes(11), r.Message!.SentAt);
        Assert.Equal(MessageStatus.Read, r.Message!.Status);
    }

    [Fact]
    public async Task a_failure_does_not_imply_the_message_was_sent()
    {
        var id = await Outbound();
        var r = await Report(id, MessageStatus.Failed, 1, "E");
        Assert.Null(r.Message!.SentAt);
        Assert.Equal(T0.AddMinutes(1), r.Message.FailedAt);
    }

    [Fact]
    public async Task error_fields_come_from_the_latest_failure_whatever_the_arrival_order()
    {
        var id = await Outbound();
        await Report(id, MessageStatus.Failed, 5, "LATE", "the later failure");
        var r = await Report(id, MessageStatus.Failed, 2, "EARLY", "the earlier failure");
        Assert.Equal("LATE", r.Message!.ErrorCode);
        Assert.Equal("the later failure", r.Message.ErrorMessage);
        Assert.Equal(T0.AddMinutes(2), r.Message.FailedAt);
    }

    [Fact]
    public async Task a_repeated_report_answers_duplicate_and_adds_no_event()
    {
        var id = await Outbound();
        await Report(id, MessageStatus.Failed, 1, "E1");
        var again = await Report(id, MessageStatus.Failed, 1, "E1");
        Assert.Equal(ReportOutcome.Duplicate, again.Outcome);
        // Another error code at the same time is a different report.
        Assert.Equal(ReportOutcome.Stale, (await Report(id, MessageStatus.Failed, 1, "E2")).Outcome);
        Assert.Equal(2, (await L.GetMessageAsync(id))!.Events!.Count);
    }

    [Fact]
    public async Task cancel_is_accepted_while_pending_or_sending_and_refused_after()
    {
        var pending = await Outbound();
        var r = await Report(pending, MessageStatus.Cancelled, 1);
        Assert.Equal(MessageStatus.Cancelled, r.Message!.Status);
        Assert.Equal(T0.AddMinutes(1), r.Message.CancelledAt);

        var sending = await Outbound();
        await Report(sending, MessageStatus.Sending, 1);
        Assert.Equal(MessageStatus.Cancelled, (await Report(sending, MessageStatus.Cancelled, 2)).Message!.Status);

        var sent = await Outbound();
        await Report(sent, MessageStatus.Sent, 1);
        await Assert.ThrowsAsync<ParleyConflictException>(() => Report(sent, MessageStatus.Cancelled, 2));
        var stored = await L.GetMessageAsync(sent);
        Assert.Equal(MessageStatus.Sent, stored!.Status);
        Assert.Single(stored.Events!);
    }

    [Fact]
    public async Task reports_after_cancel_are_stored_as_stale()
    {
        var id = await Outbound();
        await Report(id, MessageStatus.Cancelled, 1);
        var r = await Report(id, MessageStatus.Delivered, 2);
        Assert.Equal(ReportOutcome.Stale, r.Outcome);
        Assert.Equal(MessageStatus.Cancelled, r.Message!.Status);
    }

    [Fact]
    public async Task a_report_for_an_unknown_provider_id_is_parked_and_applied_when_the_message_arrives()
    {
        var results = await L.ReportStatusesAsync(
        [
            new KeyedStatusReport { Report = new StatusReport { Status = MessageStatus.Delivered, At = T0.AddMinutes(2), ProviderMessageId = "SM123" } },
            new KeyedStatusReport { Report = new StatusReport { Status = MessageStatus.Sent, At = T0.AddMinutes(1), ProviderMessageId = "SM123" } },
        ]);
        Assert.All(results, r => Assert.True(r.Parked));
        Assert.Equal(2, _t.Scalar("SELECT count(*) FROM parley_parked_reports"));

        var id = await Outbound(providerId: "SM123");
        var message = await L.GetMessageAsync(id);
        Assert.Equal(MessageStatus.Delivered, message!.Status);
        Assert.Equal(T0.AddMinutes(1), message.SentAt);
        Assert.Equal([ReportOutcome.Applied, ReportOutcome.Stale], message.Events!.Select(e => e.Outcome));
        Assert.Equal(0, _t.Scalar("SELECT count(*) FROM parley_parked_reports"));
    }

    [Fact]
    public async Task parked_reports_are_applied_when_a_report_gives_the_message_its_provider_id()
    {
        await L.ReportStatusesAsync([new KeyedStatusReport { Report = new StatusReport { Status = MessageStatus.Read, At = T0.AddMinutes(5), ProviderMessageId = "wamid.1", Channel = "sms" } }]);
        var id = await Outbound();
        var r = await L.ReportStatusAsync(id, new StatusReport { Status = MessageStatus.Sent, At = T0.AddMinutes(1), ProviderMessageId = "wamid.1" });
        Assert.Equal("wamid.1", r.Message!.ProviderMessageId);
        var stored = await L.GetMessageAsync(id);
        Assert.Equal(MessageStatus.Read, stored!.Status);
    }

    [Fact]
    public async Task batch_reports_by_provider_id_find_their_message_and_one_bad_report_fails_alone()
    {
        var id = await Outbound(providerId: "P-1");
        var results = await L.ReportStatusesAsync(
        [
            new KeyedStatusReport { Report = new StatusReport { Status = MessageStatus.Sent, At = T0, ProviderMessageId = "P-1" } },
            new KeyedStatusReport { MessageId = "no-such-message", Report = new StatusReport { Status = MessageStatus.Sent } },
            new KeyedStatusReport { MessageId = id, Report = new StatusReport { Status = MessageStatus.Delivered, ErrorCode = "x" } },
            new KeyedStatusReport { MessageId = id, Report = new StatusReport { Status = MessageStatus.Delivered, At = T0.AddMinutes(1) } },
        ]);
        Assert.Equal(ReportOutcome.Applied, results[0].Outcome);
        Assert.Equal(id, results[0].MessageId);
        Assert.IsType<ParleyNotFoundException>(results[1].Error);
        Assert.IsType<ArgumentException>(results[2].Error);
        Assert.Equal(ReportOutcome.Applied, results[3].Outcome);
        Assert.Equal(MessageStatus.Delivered, (await L.GetMessageAsync(id))!.Status);
    }

    [Fact]
    public async Task parked_reports_expire_after_their_time_to_live_with_a_system_event()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(T0);
        await using var t = await TempLedger.OpenAsync(engine, o => { o.TimeProvider = clock; o.ParkedReportTtl = TimeSpan.FromDays(7); });
        await t.Ledger.ReportStatusesAsync([new KeyedStatusReport { Report = new StatusReport { Status = MessageStatus.Delivered, ProviderMessageId = "gone" } }]);
        // Advancing the clock also fires the ledger's hourly expiry; the explicit call then flushes what it queued.
        clock.Advance(TimeSpan.FromDays(6));
        await t.Ledger.ExpireParkedReportsAsync();
        Assert.Equal(1, t.Scalar("SELECT count(*) FROM parley_parked_reports"));
        clock.Advance(TimeSpan.FromDays(2));
        await t.Ledger.ExpireParkedReportsAsync();
        Assert.Equal(0, t.Scalar("SELECT count(*) FROM parley_parked_reports"));
        var events = await t.Ledger.GetSystemEventsAsync(SystemEventLevel.Warning);
        var expired = Assert.Single(events, e => e.Event == "parked_report_expired");
        Assert.Equal("gone", (string?)expired.Detail!["provider_message_id"]);
    }

    [Fact]
    public async Task a_provider_id_carried_by_another_message_on_the_channel_is_a_conflict()
    {
        await Outbound(providerId: "DUP");
        await Assert.ThrowsAsync<ParleyConflictException>(() => Outbound(providerId: "DUP"));
        var other = await Outbound();
        await Assert.ThrowsAsync<ParleyConflictException>(() =>
            L.ReportStatusAsync(other, new StatusReport { Status = MessageStatus.Sent, ProviderMessageId = "DUP" }));
        Assert.Equal(0, _t.Scalar($"SELECT count(*) FROM parley_message_events WHERE message_id = '{other}'"));
    }

    [Fact]
    public async Task summary_status_counts_follow_every_status_change()
    {
        var a = await Outbound();
        var b = await Outbound();
        await Report(a, MessageStatus.Delivered, 1);
        await Report(b, MessageStatus.Failed, 1, "E");
        await Report(b, MessageStatus.Sent, 2); // stale: no change
        var s = await L.GetSessionAsync(_session);
        Assert.Equal(new Dictionary<string, long> { ["delivered"] = 1, ["failed"] = 1 }, s!.Summary.StatusCounts);
    }
    [Fact]
    public async Task one_batch_with_repeats_a_new_provider_id_and_an_unknown_id_answers_as_reports_one_by_one()
    {
        var a = await Outbound();
        var b = await Outbound();
        StatusReport R(MessageStatus s, int minutes, string? provider = null) => new() { Status = s, At = T0.AddMinutes(minutes), ProviderMessageId = provider, Channel = provider is null ? null : "sms" };
        var results = await L.ReportStatusesAsync(
        [
            new KeyedStatusReport { MessageId = a, Report = R(MessageStatus.Delivered, 2) },
            new KeyedStatusReport { MessageId = a, Report = R(MessageStatus.Sent, 1) },
            new KeyedStatusReport { MessageId = a, Report = R(MessageStatus.Delivered, 2) },
            new KeyedStatusReport { MessageId = b, Report = R(MessageStatus.Sent, 1, "batch-px") },
            new KeyedStatusReport { Report = R(MessageStatus.Read, 3, "batch-px") },
            new KeyedStatusReport { MessageId = "no-such-message", Report = R(MessageStatus.Sent, 1) },
            new KeyedStatusReport { Report = R(MessageStatus.Sent, 1, "batch-unknown") },
        ]);
        Assert.Equal([ReportOutcome.Applied, ReportOutcome.Stale, ReportOutcome.Duplicate, ReportOutcome.Applied, ReportOutcome.Applied, null, null],
            results.Select(r => r.Outcome));
        Assert.Equal(b, results[4].MessageId);
        Assert.IsType<ParleyNotFoundException>(results[5].Error);
        Assert.True(results[6].Parked);
        var ma = (await L.GetMessageAsync(a))!;
        Assert.Equal((MessageStatus.Delivered, 2), (ma.Status, ma.Events!.Count));
        var mb = (await L.GetMessageAsync(b))!;
        Assert.Equal((MessageStatus.Read, "batch-px", 2), (mb.Status, mb.ProviderMessageId, mb.Events!.Count));
    }
}

[Trait("Engine", "sqlite")]
public sealed class LifecycleRulesTestsOnSqlite() : LifecycleRulesTests(TestDatabases.Sqlite);

[Trait("Engine", "postgres")]
public sealed class LifecycleRulesTestsOnPostgres() : LifecycleRulesTests(TestDatabases.Postgres);

[Trait("Engine", "mysql")]
public sealed class LifecycleRulesTestsOnMySql() : LifecycleRulesTests(TestDatabases.MySql);
