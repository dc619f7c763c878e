using Microsoft.Extensions.Time.Testing;

namespace Parley.Tests;

/// <summary>docs/analytics.md: the rollups kept in each write's transaction answer what a brute-force recount of the
/// messages gives — counts exactly, percentiles within the stated relative error of the nearest-rank value — for
/// random messages with random reports in random arrival orders (late earlier reports, an implied delivery replaced
/// by a real one, cancels, failures after delivery), then after cleanup and a session's delete; on every engine.</summary>
public abstract class AnalyticsTests(string engine)
{
    internal static readonly DateTimeOffset T0 = new(2026, 10, 20, 0, 0, 0, TimeSpan.Zero);
    private static readonly string[] Channels = ["sms", "email", "whatsapp"];
    private static readonly string?[] Templates = ["welcome", "otp", "receipt", "promo", null];
    private static readonly MessageStatus[] Reportable = [MessageStatus.Sending, MessageStatus.Sent, MessageStatus.Delivered, MessageStatus.Read, MessageStatus.Failed];

    [Fact]
    public async Task rollups_answer_what_a_recount_of_the_messages_gives()
    {
        var clock = new FakeTimeProvider(T0.AddDays(12));
        await using var t = await TempLedger.OpenAsync(engine, o => o.TimeProvider = clock);
        var rng = new Random(20261202);
        var (sessions, ids) = await SeedAsync(t.Ledger, rng, 360);
        await AssertMatchesAsync(t.Ledger, ids, rng, errorsExact: true);

        // Retention and a session's delete take messages out.
        var cleaned = await t.Ledger.CleanupAsync(T0.AddDays(2));
        Assert.True(cleaned > 0);
        Assert.True(await t.Ledger.ForTenant(sessions[4].Tenant).DeleteSessionAsync(sessions[4].Id));
        await AssertMatchesAsync(t.Ledger, ids, rng, errorsExact: false);
        Assert.DoesNotContain(await t.Ledger.Admin.CheckAsync(), f => f.Area == "rollups");
    }

    [Fact]
    public async Task a_database_from_before_the_rollups_gets_them_on_upgrade()
    {
        var clock = new FakeTimeProvider(T0.AddDays(12));
        await using var t = await TempLedger.OpenAsync(engine, o => o.TimeProvider = clock);
        var rng = new Random(5);
        var (_, ids) = await SeedAsync(t.Ledger, rng, 150);
        await t.Ledger.DisposeAsync();

        var schema = LedgerSchema.For(new LedgerOptions { Database = t.Url });
        await schema.RollbackAsync(4, allowDestructive: true);
        Assert.Equal(4, (await schema.GetStatusAsync()).Version);
        var change = await schema.MigrateAsync();
        Assert.Equal([5], change.Versions);

        await using var upgraded = await Ledger.OpenAsync(new LedgerOptions { Database = t.Url, TimeProvider = clock });
        await AssertMatchesAsync(upgraded, ids, rng, errorsExact: true);
        Assert.DoesNotContain(await upgraded.Admin.CheckAsync(), f => f.Area == "rollups");
    }

    [Fact]
    public async Task check_finds_rollups_broken_by_hand_and_repair_rebuilds_them()
    {
        var clock = new FakeTimeProvider(T0.AddDays(12));
        await using var t = await TempLedger.OpenAsync(engine, o => o.TimeProvider = clock);
        var rng = new Random(9);
        var (_, ids) = await SeedAsync(t.Ledger, rng, 120);
        using (var raw = t.Raw())
        {
            TestDatabases.Exec(raw, "UPDATE parley_stats_counts SET n = n + 3 WHERE grain = 3 AND channel = 'sms'");
            TestDatabases.Exec(raw, "DELETE FROM parley_stats_latency WHERE grain = 0");
            TestDatabases.Exec(raw, "DELETE FROM parley_stats_errors WHERE grain = 3");
        }
        var found = await t.Ledger.Admin.CheckAsync();
        var rollups = found.Where(f => f.Area == "rollups").ToList();
        Assert.Equal(3, rollups.Count);
        Assert.Contains(rollups, f => f.Message.StartsWith("parley_stats_counts: ", StringComparison.Ordinal) && f.Message.Contains("1440-minute cell", StringComparison.Ordinal));
        Assert.Contains(rollups, f => f.Message.StartsWith("parley_stats_latency: ", StringComparison.Ordinal) && f.Message.Contains("15-minute cell", StringComparison.Ordinal));
        Assert.All(rollups, f => Assert.True(f.Repairable));

        var repaired = await t.Ledger.Admin.CheckAsync(repair: true);
        Assert.All(repaired.Where(f => f.Area == "rollups"), f => Assert.True(f.Repaired));
        Assert.Empty(await t.Ledger.Admin.CheckAsync());
        await AssertMatchesAsync(t.Ledger, ids, rng, errorsExact: false);
    }

    [Theory]
    [InlineData("2026-03-31T12:00:00Z")]
    [InlineData("2026-10-27T12:00:00Z")]
    public async Task local_days_are_exact_in_quarter_and_half_hour_zones_and_on_both_daylight_saving_days(string now)
    {
        // Europe/Berlin's days of 23 and 25 hours (2026-03-29, 2026-10-25) lie in these windows; Asia/Kathmandu is
        // +5:45, America/St_Johns -3:30 (-2:30 in summer), Pacific/Chatham +12:45 (+13:45 in its summer).
        var clock = new FakeTimeProvider(DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture));
        await using var t = await TempLedger.OpenAsync(engine, o => o.TimeProvider = clock);
        var session = await t.NewSessionAsync();
        var start = clock.GetUtcNow().AddDays(-6);
        var created = new List<DateTimeOffset>();
        // A message every 7 minutes (so every quarter-hour edge has one on each side within a day), none on the
        // UTC day four days back: a day without messages must still be listed, with zeros.
        for (var at = start; at < clock.GetUtcNow(); at = at.AddMinutes(7))
        {
            if (at.UtcDateTime.Date == clock.GetUtcNow().UtcDateTime.Date.AddDays(-4)) continue;
            created.Add(at.AddMilliseconds(created.Count % 1000));
        }
        foreach (var chunk in created.Chunk(500))
            await t.Ledger.LogMessagesAsync(session, [.. chunk.Select(c => new NewMessage { SenderType = SenderType.System, Channel = "sms", Content = "x", CreatedAt = c })]);

        foreach (var zoneName in (string[])["UTC", "Asia/Kathmandu", "America/St_Johns", "Europe/Berlin", "Pacific/Chatham"])
        {
            var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneName);
            var daily = await t.Ledger.GetDailyStatsAsync(new StatsQuery { Days = 7, TimeZone = zoneName });
            var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(clock.GetUtcNow(), zone).DateTime);
            Assert.Equal(Enumerable.Range(-6, 7).Select(d => today.AddDays(d)), daily.Days.Select(d => d.Date));
            var byDate = created.GroupBy(c => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(c, zone).DateTime)).ToDictionary(g => g.Key, g => g.Count());
            foreach (var day in daily.Days)
                Assert.True(byDate.GetValueOrDefault(day.Date) == day.Messages, $"{zoneName} {day.Date}: {day.Messages} counted, {byDate.GetValueOrDefault(day.Date)} logged");
            if (zoneName == "UTC") Assert.Single(daily.Days, d => d.Messages == 0 && d.DeliveryRate is null && d.StatusCounts.Values.All(n => n == 0));
            var stats = await t.Ledger.GetStatsAsync(new StatsQuery { Days = 3, TimeZone = zoneName });
            Assert.Equal(TimeZoneInfo.ConvertTime(stats.Since, zone).TimeOfDay, TimeSpan.Zero);
            Assert.Equal(created.Count(c => c >= stats.Since && c < stats.Until), stats.Overall.Messages);
        }
        // The 25-hour and 23-hour days hold 25 and 23 hours of messages.
        var berlin = await t.Ledger.GetDailyStatsAsync(new StatsQuery { Days = 7, TimeZone = "Europe/Berlin" });
        var dstDay = berlin.Days.Single(d => d.Date == (now.StartsWith("2026-03", StringComparison.Ordinal) ? new DateOnly(2026, 3, 29) : new DateOnly(2026, 10, 25)));
        Assert.InRange(dstDay.Messages, (now.StartsWith("2026-03", StringComparison.Ordinal) ? 23 : 25) * 60 / 7 - 1, (now.StartsWith("2026-03", StringComparison.Ordinal) ? 23 : 25) * 60 / 7 + 1);
    }

    [Fact]
    public async Task templates_past_the_cap_count_under_other()
    {
        await using var t = await TempLedger.OpenAsync(engine);
        var session = await t.NewSessionAsync();
        await t.Ledger.LogMessagesAsync(session, [.. Enumerable.Range(0, 205).Select(i => new NewMessage { SenderType = SenderType.System, Channel = "sms", Content = "x", Template = $"t{i:000}" })]);
        await t.Ledger.LogMessagesAsync(session, [new NewMessage { SenderType = SenderType.System, Channel = "sms", Content = "x", Template = "t000" },
            new NewMessage { SenderType = SenderType.System, Channel = "sms", Content = "x", Template = "t204" }, new NewMessage { SenderType = SenderType.System, Channel = "sms", Content = "x" }]);
        var stats = await t.Ledger.GetStatsAsync(new StatsQuery { Days = 1 });
        Assert.Equal(208, stats.Overall.Messages);
        Assert.Equal(202, stats.ByTemplate.Count);
        Assert.Equal(2, stats.ByTemplate.Single(x => x.Template == "t000").Stats.Messages);
        Assert.Equal(6, stats.ByTemplate.Single(x => x.Template == "__other__").Stats.Messages);
        Assert.Equal(1, stats.ByTemplate.Single(x => x.Template is null).Stats.Messages);
        Assert.DoesNotContain(stats.ByTemplate, x => x.Template == "t204");
        Assert.Equal(6, (await t.Ledger.GetStatsAsync(new StatsQuery { Days = 1, Template = "__other__" })).Overall.Messages);
        Assert.Empty(await t.Ledger.Admin.CheckAsync());
    }

    /// <summary>Sessions in three tenants, random messages over ten days, and random reports for them in one random
    /// order, alone and in batches.</summary>
    private static async Task<(List<(string Id, string? Tenant)> Sessions, List<(string Id, string? Tenant)> Ids)> SeedAsync(Ledger ledger, Random rng, int count)
    {
        var sessions = new List<(string Id, string? Tenant)>();
        foreach (var tenant in (string?[])[null, "acme", "globex"])
        {
            for (var i = 0; i < 3; i++)
                sessions.Add(((await ledger.CreateSessionAsync(new NewSession { Tenant = tenant })).Session.Id, tenant));
        }

        var ids = new List<(string Id, string? Tenant)>();
        for (var i = 0; i < count; i++)
        {
            var (session, tenant) = sessions[rng.Next(sessions.Count)];
            var logged = await ledger.ForTenant(tenant).LogMessageAsync(session, new NewMessage
            {
                SenderType = SenderType.System,
                Channel = Channels[rng.Next(Channels.Length)],
                Template = Templates[rng.Next(Templates.Length)],
                Content = "x",
                Status = rng.Next(3) == 0 ? MessageStatus.Sent : null,
                CreatedAt = T0.AddMinutes(rng.Next(0, 10 * 1440)).AddMilliseconds(rng.Next(1000)),
            });
            ids.Add((logged.Message.Id, tenant));
        }

        var reports = new List<(string? Tenant, KeyedStatusReport Report)>();
        foreach (var (id, tenant) in ids)
        {
            var created = (await ledger.ForTenant(tenant).GetMessageAsync(id))!.CreatedAt;
            var n = rng.Next(0, 6);
            for (var k = 0; k < n; k++)
            {
                var status = rng.Next(12) == 0 ? MessageStatus.Cancelled : Reportable[rng.Next(Reportable.Length)];
                // Times out of order: a later report may carry an earlier time (rule 3).
                var at = created.AddMilliseconds(rng.Next(0, 4) == 0 ? rng.Next(0, 3) : rng.Next(1, 3_600_000));
                reports.Add((tenant, new KeyedStatusReport
                {
                    MessageId = id,
                    Report = new StatusReport { Status = status, At = at, ErrorCode = status == MessageStatus.Failed ? $"E{rng.Next(4)}" : null },
                }));
            }
        }
        reports = [.. reports.OrderBy(_ => rng.Next())];
        for (var i = 0; i < reports.Count;)
        {
            var view = ledger.ForTenant(reports[i].Tenant);
            if (rng.Next(2) == 0)
            {
                try
                {
                    await view.ReportStatusAsync(reports[i].Report.MessageId!, reports[i].Report.Report);
                }
                catch (ParleyConflictException)
                {
                    // A cancel of a message that already left: refused, nothing changed.
                }
                i++;
            }
            else
            {
                var batch = reports.Skip(i).Take(rng.Next(1, 40)).TakeWhile(r => r.Tenant == reports[i].Tenant).Select(r => r.Report).ToList();
                await view.ReportStatusesAsync(batch);
                i += batch.Count;
            }
        }
        return (sessions, ids);
    }

    /// <summary>Every tenant's view and the unconfined view, over several windows and filters, against a recount.</summary>
    private static async Task AssertMatchesAsync(Ledger ledger, List<(string Id, string? Tenant)> ids, Random rng, bool errorsExact)
    {
        var all = new List<(Message M, string? Tenant)>();
        foreach (var (id, tenant) in ids)
        {
            if (await ledger.ForTenant(tenant).GetMessageAsync(id) is { } m) all.Add((m, tenant));
        }
        var queries = new List<StatsQuery>
        {
            new() { Days = 30 },
            new() { Days = 5, TimeZone = "Asia/Kathmandu" },
            new() { Days = 9, TimeZone = "America/St_Johns", Channel = "sms" },
            new() { Days = 400, Template = "otp" },
        };
        for (var i = 0; i < 6; i++)
        {
            var since = T0.AddMinutes(15 * rng.Next(0, 4 * 24 * 5));
            queries.Add(new StatsQuery
            {
                Since = since,
                Until = since.AddMinutes(15 * rng.Next(1, 4 * 24 * 6)),
                Channel = rng.Next(3) == 0 ? Channels[rng.Next(Channels.Length)] : null,
                Template = rng.Next(3) == 0 ? Templates[rng.Next(Templates.Length - 1)] : null,
            });
        }
        foreach (var tenant in (string?[])[null, "acme", "globex", "*"])
        {
            var view = tenant == "*" ? ledger : ledger.ForTenant(tenant);
            var mine = all.Where(x => tenant == "*" || x.Tenant == tenant).Select(x => x.M).ToList();
            foreach (var q in queries)
            {
                var answer = await view.GetStatsAsync(q);
                var inWindow = mine.Where(m => m.CreatedAt >= answer.Since && m.CreatedAt < answer.Until).ToList();
                var what = $"tenant {tenant}, query {q}";
                AssertFigures(Filter(inWindow, q.Channel, q.Template), answer.Overall, what + ", overall");
                foreach (var c in answer.ByChannel) AssertFigures(Filter(inWindow, c.Channel, q.Template), c.Stats, $"{what}, channel {c.Channel}");
                Assert.Equal(Filter(inWindow, q.Channel, q.Template).Select(m => m.Channel).Distinct().Order(StringComparer.Ordinal), answer.ByChannel.Select(c => c.Channel));
                foreach (var tp in answer.ByTemplate)
                    AssertFigures(Filter(inWindow, q.Channel, tp.Template ?? "").Where(m => m.Template == tp.Template).ToList(), tp.Stats, $"{what}, template {tp.Template}");
                Assert.Equal(Filter(inWindow, q.Channel, q.Template).Select(m => m.Template).Distinct().Count(), answer.ByTemplate.Count);

                var daily = await view.GetDailyStatsAsync(q);
                var zone = TimeZoneInfo.FindSystemTimeZoneById(q.TimeZone);
                var byDay = Filter(inWindow, q.Channel, q.Template).GroupBy(m => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(m.CreatedAt, zone).DateTime))
                    .ToDictionary(g => g.Key, g => g.ToList());
                Assert.Equal(daily.Days.Select(d => d.Date).Order(), daily.Days.Select(d => d.Date));
                Assert.All(byDay.Keys, d => Assert.Contains(d, daily.Days.Select(x => x.Date)));
                foreach (var day in daily.Days)
                {
                    var expected = byDay.GetValueOrDefault(day.Date) ?? [];
                    Assert.True(expected.Count == day.Messages, $"{what}, {day.Date}: {day.Messages} counted, {expected.Count} stored");
                    foreach (var s in Enum.GetValues<MessageStatus>()) Assert.Equal(expected.Count(m => m.Status == s), day.StatusCounts[s]);
                }

                var errors = await view.GetErrorStatsAsync(q);
                var failed = Filter(inWindow, q.Channel, q.Template).Where(m => m.ErrorCode is not null).GroupBy(m => m.ErrorCode!).ToDictionary(g => g.Key, g => g.ToList());
                Assert.Equal(failed.Keys.Order(StringComparer.Ordinal), errors.Select(e => e.ErrorCode).Order(StringComparer.Ordinal));
                foreach (var e in errors)
                {
                    Assert.Equal(failed[e.ErrorCode].Count, e.Count);
                    // last_at only grows (docs/analytics.md, "Error codes"): at least the latest failure that still
                    // carries the code, at most the latest ever reported with it (while no message was removed).
                    var latest = failed[e.ErrorCode].Max(LatestFailure);
                    Assert.True(e.LastAt >= latest, $"{what}, {e.ErrorCode}: last_at {e.LastAt} before {latest}");
                    if (errorsExact)
                    {
                        var ever = Filter(inWindow, q.Channel, q.Template).SelectMany(m => m.Events!)
                            .Where(x => x.Status == MessageStatus.Failed && x.ErrorCode == e.ErrorCode).Max(x => x.OccurredAt);
                        Assert.True(e.LastAt <= ever, $"{what}, {e.ErrorCode}: last_at {e.LastAt} after {ever}");
                    }
                }
            }
        }
    }

    private static DateTimeOffset LatestFailure(Message m) =>
        m.Events!.Where(e => e.Status == MessageStatus.Failed).OrderBy(e => e.OccurredAt).ThenBy(e => e.ErrorCode, StringComparer.Ordinal)
            .ThenBy(e => e.ErrorMessage, StringComparer.Ordinal).Last().OccurredAt;

    private static List<Message> Filter(List<Message> messages, string? channel, string? template) =>
        [.. messages.Where(m => (channel is null || m.Channel == channel) && (template is null || (m.Template ?? "") == template))];

    /// <summary>Counts exactly; rates from them; each percentile within the relative error of the nearest-rank value.</summary>
    internal static void AssertFigures(List<Message> messages, MessageStats stats, string what)
    {
        Assert.True(messages.Count == stats.Messages, $"{what}: {stats.Messages} counted, {messages.Count} stored");
        foreach (var s in Enum.GetValues<MessageStatus>()) Assert.True(messages.Count(m => m.Status == s) == stats.StatusCounts[s], $"{what}: {s}");
        long N(MessageStatus s) => messages.Count(m => m.Status == s);
        var outcomes = N(MessageStatus.Sent) + N(MessageStatus.Delivered) + N(MessageStatus.Read) + N(MessageStatus.Failed);
        Assert.Equal(outcomes == 0 ? null : (N(MessageStatus.Delivered) + N(MessageStatus.Read)) / (double)outcomes, stats.DeliveryRate);
        Assert.Equal(outcomes == 0 ? null : N(MessageStatus.Failed) / (double)outcomes, stats.FailureRate);
        var reached = N(MessageStatus.Delivered) + N(MessageStatus.Read);
        Assert.Equal(reached == 0 ? null : N(MessageStatus.Read) / (double)reached, stats.ReadRate);

        // A latency counts only when both of its times came from reports of those statuses.
        var s2d = messages.Where(m => m.Events!.Any(e => e.Status == MessageStatus.Sent) && m.DeliveredAt is not null && !m.DeliveredImplied)
            .Select(m => Math.Max(0, (m.DeliveredAt!.Value - m.SentAt!.Value).TotalMilliseconds)).ToList();
        var d2r = messages.Where(m => m.DeliveredAt is not null && !m.DeliveredImplied && m.ReadAt is not null)
            .Select(m => Math.Max(0, (m.ReadAt!.Value - m.DeliveredAt!.Value).TotalMilliseconds)).ToList();
        AssertLatency(s2d, stats.SentToDelivered, what + ", sent_to_delivered");
        AssertLatency(d2r, stats.DeliveredToRead, what + ", delivered_to_read");
    }

    internal static void AssertLatency(List<double> values, LatencyStats stats, string what)
    {
        Assert.True(values.Count == stats.Count, $"{what}: {stats.Count} counted, {values.Count} stored");
        values.Sort();
        foreach (var (q, got) in new[] { (0.5, stats.P50), (0.9, stats.P90), (0.99, stats.P99) })
        {
            if (values.Count == 0)
            {
                Assert.Null(got);
                continue;
            }
            var exact = values[(int)Math.Max(0, Math.Ceiling(q * values.Count) - 1)];
            Assert.True(got is { } v && Math.Abs(v - exact) <= 0.01 * exact + 1e-9, $"{what} p{q * 100}: {got} for {exact}");
        }
    }
}

[Trait("Engine", "sqlite")]
public sealed class AnalyticsTestsOnSqlite() : AnalyticsTests(TestDatabases.Sqlite);

[Trait("Engine", "postgres")]
public sealed class AnalyticsTestsOnPostgres() : AnalyticsTests(TestDatabases.Postgres);

[Trait("Engine", "mysql")]
public sealed class AnalyticsTestsOnMySql() : AnalyticsTests(TestDatabases.MySql);
