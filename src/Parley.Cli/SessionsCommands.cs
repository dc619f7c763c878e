using System.CommandLine;
using System.Text.Json;
using Parley.AspNetCore.Http;
using static Parley.Cli.ParleyCommandLine;

namespace Parley.Cli;

/// <summary><c>parley sessions list | show ID</c>: what an operator looks at first.</summary>
internal static class SessionsCommands
{
    public static Command Build()
    {
        var sessions = new Command("sessions", "List sessions or show one.");
        sessions.Subcommands.Add(List());
        sessions.Subcommands.Add(Show());
        return sessions;
    }

    /// <summary><c>--tenant T</c>: only tenant T's sessions, and T's session when several tenants hold an id (docs/security.md, "Tenants").</summary>
    private static Option<string?> TenantOption() => new("--tenant") { Description = "Only this tenant's sessions (ids are a namespace per tenant)" };

    private static Ledger In(Ledger ledger, string? tenant) => tenant is null ? ledger : ledger.ForTenant(tenant);

    private static Command List()
    {
        var tenant = TenantOption();
        var page = new Option<int>("--page") { Description = "Page, from 1", DefaultValueFactory = _ => 1 };
        var perPage = new Option<int>("--per-page") { Description = "Sessions a page, 1 to 200", DefaultValueFactory = _ => 20 };
        var status = new Option<SessionStatus?>("--status") { Description = "active or ended" };
        var kind = new Option<string?>("--kind") { Description = "Only this kind" };
        var text = new Option<string?>("--q") { Description = "Text in the title or id" };
        var cmd = new Command("list", "Sessions, newest activity first.") { page, perPage, status, kind, text, tenant };
        cmd.SetAction(async (parsed, ct) =>
        {
            await using var ledger = await OpenLedgerAsync(parsed, ct, readOnly: true);
            var result = await In(ledger, parsed.GetValue(tenant)).ListSessionsAsync(new SessionQuery
            {
                Page = parsed.GetValue(page), PerPage = parsed.GetValue(perPage), Status = parsed.GetValue(status),
                Kind = parsed.GetValue(kind), Text = parsed.GetValue(text),
            }, ct);
            if (parsed.GetValue(Json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new { items = result.Items, page = result.PageNumber, per_page = result.PerPage, total = result.Total, total_pages = result.TotalPages }, ParleyJson.Options));
                return Ok;
            }
            Console.WriteLine($"{"ID",-28} {"KIND",-12} {"STATUS",-7} {"MESSAGES",8} {"UNREAD(A/U)",11}  {"UPDATED",-24} TITLE");
            foreach (var s in result.Items)
                Console.WriteLine($"{s.Id,-28} {s.Kind,-12} {Wire(s.Status),-7} {s.Summary.MessageCount,8} {$"{s.Summary.UnreadForAgent}/{s.Summary.UnreadForUser}",11}  {Time(s.UpdatedAt),-24} {s.Title}");
            Console.WriteLine($"page {result.PageNumber} of {result.TotalPages}, {result.Total} sessions");
            return Ok;
        });
        return cmd;
    }

    private static Command Show()
    {
        var id = new Argument<string>("id") { Description = "The session's id" };
        var tenant = TenantOption();
        var cmd = new Command("show", "One session with its summary.") { id, tenant };
        cmd.SetAction(async (parsed, ct) =>
        {
            await using var ledger = await OpenLedgerAsync(parsed, ct, readOnly: true);
            var session = await In(ledger, parsed.GetValue(tenant)).GetSessionAsync(parsed.GetValue(id)!, ct);
            if (session is null)
            {
                await Console.Error.WriteLineAsync($"parley: session '{parsed.GetValue(id)}' does not exist.");
                return Failure;
            }
            if (parsed.GetValue(Json))
            {
                Console.WriteLine(JsonSerializer.Serialize(session, ParleyJson.Options));
                return Ok;
            }
            var s = session.Summary;
            Console.WriteLine($"session   {session.Id} ({session.Kind}, {Wire(session.Status)}){(session.Title is null ? "" : $" \"{session.Title}\"")}");
            Console.WriteLine($"tenant    {session.Tenant ?? "-"}   user account {session.UserAccount ?? "-"}");
            Console.WriteLine($"started   {Time(session.StartedAt)}   ended {Time(session.EndedAt) ?? "-"}   updated {Time(session.UpdatedAt)}");
            Console.WriteLine($"messages  {s.MessageCount}: {string.Join(", ", s.StatusCounts.Select(p => $"{p.Value} {p.Key}"))}");
            Console.WriteLine($"channels  {string.Join(", ", s.ChannelsUsed)}   templates {string.Join(", ", s.TemplatesUsed)}");
            Console.WriteLine($"unread    agent {s.UnreadForAgent}, user {s.UnreadForUser}");
            return Ok;
        });
        return cmd;
    }

    private static string Wire<T>(T value) where T : struct, Enum => JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());
}
