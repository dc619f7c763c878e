using System.CommandLine;
using System.Globalization;
using Parley.AspNetCore.Analytics;
using Spectre.Console;
using static Parley.Cli.ParleyCommandLine;

namespace Parley.Cli;

/// <summary><c>parley stats</c> (docs/cli.md, "stats"; docs/analytics.md): a window's delivery figures, overall, by
/// channel and by template — a table on a terminal, the route's JSON with <c>--json</c>.</summary>
internal static class StatsCommand
{
    public static Command Build()
    {
        var days = new Option<int?>("--days") { Description = "Today and the days before it, in --tz: 1 to 400 (default 30)" };
        var since = new Option<DateTimeOffset?>("--since") { Description = "The start of an explicit window instead of --days (RFC 3339)" };
        var until = new Option<DateTimeOffset?>("--until") { Description = "The end of an explicit window (default now)" };
        var tz = new Option<string>("--tz") { Description = "The IANA time zone days are taken in", DefaultValueFactory = _ => "UTC" };
        var channel = new Option<string?>("--channel") { Description = "Only this channel" };
        var template = new Option<string?>("--template") { Description = "Only this template" };
        var tenant = new Option<string?>("--tenant") { Description = "Only this tenant's figures" };
        var cmd = new Command("stats", "Delivery figures: counts by status, rates and latency percentiles, overall, by channel and by template.")
        {
            days, since, until, tz, channel, template, tenant,
        };
        cmd.SetAction(async (parsed, ct) =>
        {
            await using var ledger = await OpenLedgerAsync(parsed, ct, readOnly: true);
            var view = parsed.GetValue(tenant) is { } t ? ledger.ForTenant(t) : ledger;
            var report = await view.GetStatsAsync(new StatsQuery
            {
                Days = parsed.GetValue(days),
                Since = parsed.GetValue(since),
                Until = parsed.GetValue(until),
                TimeZone = parsed.GetValue(tz)!,
                Channel = parsed.GetValue(channel),
                Template = parsed.GetValue(template),
            }, ct);
            if (parsed.GetValue(Json))
            {
                Console.WriteLine(StatsJson.Of(report).ToJsonString());
                return Ok;
            }
            Print(report);
            return Ok;
        });
        return cmd;
    }

    private static void Print(StatsReport r)
    {
        var console = AnsiConsole.Console;
        // Not a terminal (a pipe, a file): rows are not wrapped to 80 columns.
        if (Console.IsOutputRedirected) console.Profile.Width = 240;
        console.MarkupLine($"[bold]{Markup.Escape(Time(r.Since)!)}[/] to [bold]{Markup.Escape(Time(r.Until)!)}[/] ({Markup.Escape(r.TimeZone)}), percentiles within ±{r.RelativeError:P0}");
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("");
        table.AddColumn(new TableColumn("messages").RightAligned());
        foreach (var s in StatsJson.Statuses) table.AddColumn(new TableColumn(StatsJson.Wire(s)).RightAligned());
        foreach (var h in (string[])["delivery rate", "read rate", "failure rate", "sent→delivered p50/p90/p99", "delivered→read p50/p90/p99"]) table.AddColumn(new TableColumn(h).RightAligned());
        Row(table, "[bold]all[/]", r.Overall);
        foreach (var c in r.ByChannel) Row(table, "channel " + Markup.Escape(c.Channel), c.Stats);
        foreach (var t in r.ByTemplate) Row(table, t.Template is null ? "[dim]no template[/]" : "template " + Markup.Escape(t.Template), t.Stats);
        console.Write(table);
    }

    private static void Row(Table table, string name, MessageStats s) => table.AddRow(
    [
        name,
        s.Messages.ToString("N0", CultureInfo.InvariantCulture),
        .. StatsJson.Statuses.Select(x => s.StatusCounts[x].ToString("N0", CultureInfo.InvariantCulture)),
        Rate(s.DeliveryRate), Rate(s.ReadRate), Rate(s.FailureRate), Latency(s.SentToDelivered), Latency(s.DeliveredToRead),
    ]);

    private static string Rate(double? rate) => rate is { } r ? r.ToString("P1", CultureInfo.InvariantCulture) : "-";

    private static string Latency(LatencyStats l) => l.Count == 0 ? "-" : $"{Ms(l.P50)} / {Ms(l.P90)} / {Ms(l.P99)}";

    /// <summary>Milliseconds, seconds, minutes or hours, whichever reads best.</summary>
    private static string Ms(double? ms) => ms switch
    {
        null => "-",
        < 1000 => $"{ms:0} ms",
        < 60_000 => string.Create(CultureInfo.InvariantCulture, $"{ms / 1000:0.0} s"),
        < 3_600_000 => string.Create(CultureInfo.InvariantCulture, $"{ms / 60_000:0.0} min"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{ms / 3_600_000:0.0} h"),
    };
}
