using Parley.Internal.Reports;

namespace Parley.Tests;

/// <summary>docs/lifecycle.md, rule 7: for any set of provider reports, every arrival order yields the same message, and
/// that message is the one the rules define for the set as a whole (status = highest rank, each time the earliest,
/// implied times, the latest failure's error). The rules alone are checked once (<see cref="StatusRulesPropertyTests"/>);
/// the ledger on each engine.</summary>
public abstract class ConvergencePropertyTests(string engine)
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly MessageStatus[] Reportable =
        [MessageStatus.Pending, MessageStatus.Sending, MessageStatus.Sent, MessageStatus.Failed, MessageStatus.Delivered, MessageStatus.Read];

    internal static List<Report> RandomReports(Random rng)
    {
        var count = rng.Next(1, 9);
        var reports = new List<Report>();
        for (var i = 0; i < count; i++)
        {
            var status = Reportable[rng.Next(Reportable.Length)];
            // Few distinct minutes, so equal times (and exact duplicates) happen often.
            var at = T0.AddMinutes(rng.Next(0, 6));
            var failed = status == MessageStatus.Failed;
            reports.Add(new Report(status, at, failed ? $"E{rng.Next(3)}" : null, failed ? $"text {rng.Next(2)}" : null));
            if (rng.Next(5) == 0) reports.Add(reports[^1]);
            // The same failure again with another text: a duplicate by rule 6 that must still converge.
            if (failed && rng.Next(4) == 0) reports.Add(reports[^1] with { ErrorMessage = "other text" });
        }
        return reports;
    }

    /// <summary>The state the rules define for a whole set of reports, computed without any order.</summary>
    internal static DeliveryState Expected(IReadOnlyList<Report> reports)
    {
        DateTimeOffset? Min(params MessageStatus[] statuses) =>
            reports.Where(r => statuses.Contains(r.Status)).Select(r => (DateTimeOffset?)r.At).Min();
        var top = reports.MaxBy(r => StatusRules.Rank(r.Status))!.Status;
        var failures = reports.Where(r => r.Status == MessageStatus.Failed)
            .OrderBy(r => r.At).ThenBy(r => r.ErrorCode, StringComparer.Ordinal).ThenBy(r => r.ErrorMessage, StringComparer.Ordinal).ToList();
        var realDelivered = Min(MessageStatus.Delivered);
        var realSent = Min(MessageStatus.Sent);
        return new DeliveryState
        {
            Status = StatusRules.Rank(top) > 0 ? top : MessageStatus.Pending,
            SentAt = realSent ?? Min(MessageStatus.Delivered, MessageStatus.Read),
            SentImplied = realSent is null && Min(MessageStatus.Delivered, MessageStatus.Read) is not null,
            DeliveredAt = realDelivered ?? Min(MessageStatus.Read),
            DeliveredImplied = realDelivered is null && Min(MessageStatus.Read) is not null,
            ReadAt = Min(MessageStatus.Read),
            FailedAt = Min(MessageStatus.Failed),
            ErrorCode = failures.LastOrDefault().ErrorCode,
            ErrorMessage = failures.LastOrDefault().ErrorMessage,
            ErrorAt = failures.Count > 0 ? failures[^1].At : null,
        };
    }

    [Fact]
    public async Task the_ledger_converges_on_the_same_message_for_every_arrival_order()
    {
        await using var t = await TempLedger.OpenAsync(engine);
        var session = await t.NewSessionAsync();
        var rng = new Random(7);
        for (var set = 0; set < 40; set++)
        {
            var reports = RandomReports(rng);
            var expected = Expected(reports);
            var finals = new List<Message>();
            for (var order = 0; order < 5; order++)
            {
                var shuffled = reports.OrderBy(_ => rng.Next()).ToList();
                // Alternate single reports to one message and one batch interleaving the reports of twelve messages
                // (the batch then changes many messages, and each several times, in one transaction).
                var ids = new List<string>();
                for (var n = 0; n < (order % 2 == 0 ? 1 : 12); n++)
                    ids.Add((await t.Ledger.LogMessageAsync(session, new NewMessage { SenderType = SenderType.System, Channel = "email", Content = "x" })).Message.Id);
                if (order % 2 == 0)
                {
                    foreach (var r in shuffled)
                        await t.Ledger.ReportStatusAsync(ids[0], new StatusReport { Status = r.Status, At = r.At, ErrorCode = r.ErrorCode, ErrorMessage = r.ErrorMessage });
                }
                else
                {
                    var results = await t.Ledger.ReportStatusesAsync([.. shuffled.SelectMany(r => ids.Select(id => new KeyedStatusReport
                    {
                        MessageId = id,
                        Report = new StatusReport { Status = r.Status, At = r.At, ErrorCode = r.ErrorCode, ErrorMessage = r.ErrorMessage },
                    }))]);
                    Assert.All(results, x => Assert.Null(x.Error));
                }
                foreach (var id in ids) finals.Add((await t.Ledger.GetMessageAsync(id))!);
            }
            foreach (var m in finals)
            {
                Assert.Equal(expected.Status, m.Status);
                Assert.Equal(expected.SentAt, m.SentAt);
                Assert.Equal(expected.DeliveredAt, m.DeliveredAt);
                Assert.Equal(expected.DeliveredImplied, m.DeliveredImplied);
                Assert.Equal(expected.ReadAt, m.ReadAt);
                Assert.Equal(expected.FailedAt, m.FailedAt);
                Assert.Equal(expected.ErrorCode, m.ErrorCode);
                Assert.Equal(expected.ErrorMessage, m.ErrorMessage);
                // Rule 6: exact repeats add no event, so every order stores the same number of events.
                Assert.Equal(reports.Select(r => (r.Status, r.At, r.ErrorCode)).Distinct().Count(), m.Events!.Count);
            }
        }
    }
}

[Trait("Engine", "sqlite")]
public sealed class ConvergencePropertyTestsOnSqlite() : ConvergencePropertyTests(TestDatabases.Sqlite);

[Trait("Engine", "postgres")]
public sealed class ConvergencePropertyTestsOnPostgres() : ConvergencePropertyTests(TestDatabases.Postgres);

[Trait("Engine", "mysql")]
public sealed class ConvergencePropertyTestsOnMySql() : ConvergencePropertyTests(TestDatabases.MySql);

/// <summary>The convergence property over the rules alone, against the state the set defines computed without any
/// order: pure, so it runs once, not per engine.</summary>
public class StatusRulesPropertyTests
{
    [Fact]
    public void every_arrival_order_of_every_report_set_reaches_the_state_the_set_defines()
    {
        var rng = new Random(20261123);
        for (var set = 0; set < 3000; set++)
        {
            var reports = ConvergencePropertyTests.RandomReports(rng);
            var expected = ConvergencePropertyTests.Expected(reports);
            for (var order = 0; order < 12; order++)
            {
                var shuffled = reports.OrderBy(_ => rng.Next()).ToList();
                var state = new DeliveryState { Status = MessageStatus.Pending };
                foreach (var r in shuffled) StatusRules.Apply(ref state, r);
                Assert.True(expected == state,
                    $"set {set}, order [{string.Join(", ", shuffled)}]:\n expected {expected}\n got      {state}");
            }
        }
    }
}
