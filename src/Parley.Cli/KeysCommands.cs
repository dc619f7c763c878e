using System.CommandLine;
using static Parley.Cli.ParleyCommandLine;

namespace Parley.Cli;

/// <summary><c>parley keys create | list | revoke</c> (docs/cli.md, "keys"). A key is printed once, at creation.</summary>
internal static class KeysCommands
{
    public static Command Build()
    {
        var keys = new Command("keys", "API keys for the server.");
        keys.Subcommands.Add(Create());
        keys.Subcommands.Add(List());
        keys.Subcommands.Add(Revoke());
        return keys;
    }

    private static Command Create()
    {
        var tenant = new Option<string?>("--tenant") { Description = "Confine the key to this tenant" };
        var admin = new Option<bool>("--admin") { Description = "A key that sees every tenant and the system routes" };
        var name = new Option<string?>("--name") { Description = "A label for people" };
        var cmd = new Command("create", "Create a key and print it (only this once).") { tenant, admin, name };
        cmd.Validators.Add(r =>
        {
            if ((r.GetValue(tenant) is null) == !r.GetValue(admin)) r.AddError("give --tenant T or --admin (one of them).");
        });
        cmd.SetAction(async (parsed, ct) =>
        {
            await using var ledger = await OpenLedgerAsync(parsed, ct);
            var created = await ledger.CreateApiKeyAsync(parsed.GetValue(tenant), parsed.GetValue(name), KeySecret.Load(DatabaseOf(parsed)), ct);
            Print(parsed, new { id = created.Key.Id, key = created.Secret, tenant = created.Key.Tenant, admin = created.Key.Admin }, () =>
            {
                Console.WriteLine(created.Secret);
                Console.Error.WriteLine($"parley: key {created.Key.Id} created for {(created.Key.Admin ? "admin" : $"tenant {created.Key.Tenant}")}; it is shown only now, store it safely.");
            });
            return Ok;
        });
        return cmd;
    }

    private static Command List()
    {
        var cmd = new Command("list", "Every key, without secrets.");
        cmd.SetAction(async (parsed, ct) =>
        {
            await using var ledger = await OpenLedgerAsync(parsed, ct, readOnly: true);
            var keys = await ledger.ListApiKeysAsync(ct);
            Print(parsed, keys.Select(k => new { id = k.Id, tenant = k.Tenant, admin = k.Admin, name = k.Name, created_at = Time(k.CreatedAt), revoked_at = Time(k.RevokedAt) }), () =>
            {
                foreach (var k in keys)
                    Console.WriteLine($"{k.Id}  {(k.Admin ? "admin" : $"tenant {k.Tenant}"),-24} {Time(k.CreatedAt)}  {(k.RevokedAt is null ? "active" : "revoked " + Time(k.RevokedAt))}  {k.Name}");
                if (keys.Count == 0) Console.WriteLine("no keys: the server's API is open on loopback.");
            });
            return Ok;
        });
        return cmd;
    }

    private static Command Revoke()
    {
        var id = new Argument<string>("id") { Description = "The key's id (from keys list)" };
        var cmd = new Command("revoke", "Revoke a key.") { id };
        cmd.SetAction(async (parsed, ct) =>
        {
            await using var ledger = await OpenLedgerAsync(parsed, ct);
            if (!await ledger.RevokeApiKeyAsync(parsed.GetValue(id)!, ct))
            {
                await Console.Error.WriteLineAsync($"parley: no active key {parsed.GetValue(id)}.");
                return Failure;
            }
            Print(parsed, new { id = parsed.GetValue(id), revoked = true }, () => Console.WriteLine($"revoked {parsed.GetValue(id)}."));
            return Ok;
        });
        return cmd;
    }
}
