using System.CommandLine;
using System.Text.Json;
using Parley;

namespace Parley.Cli;

/// <summary>The <c>parley</c> command line (SPEC 8). Exit codes: 0 success, 1 failure, 2 usage error,
/// 3 problems found by verify/check.</summary>
internal static class ParleyCommandLine
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int Usage = 2;

    private static readonly Option<string> Db = new("--db")
    {
        Description = "Database URL (sqlite:path, postgres://…, mysql://…); default $PARLEY_DB or sqlite:parley.db",
        Recursive = true,
    };

    private static readonly Option<bool> Json = new("--json")
    {
        Description = "Machine-readable output",
        Recursive = true,
    };

    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("Parley: a message ledger for chat and multichannel messaging.");
        root.Options.Add(Db);
        root.Options.Add(Json);
        root.Subcommands.Add(Serve());
        root.Subcommands.Add(DbCommands());

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors) await Console.Error.WriteLineAsync($"parley: {error.Message}");
            await Console.Error.WriteLineAsync("Run 'parley --help' for usage.");
            return Usage;
        }
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"parley: {PlainMessage(e)}");
            return Usage;
        }
        catch (ParleyException e)
        {
            await Console.Error.WriteLineAsync($"parley: {e.Message}");
            return Failure;
        }
    }

    /// <summary>The message without .NET's "(Parameter 'x')" suffix: Parley's messages already name the field.</summary>
    public static string PlainMessage(ArgumentException e) =>
        e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);

    private static string DatabaseOf(ParseResult parsed) =>
        parsed.GetValue(Db) ?? Environment.GetEnvironmentVariable("PARLEY_DB") ?? "sqlite:parley.db";

    private static Command Serve()
    {
        var serve = new Command("serve", "Run the HTTP API and dashboard (coming with the server issue).");
        serve.SetAction(_ =>
        {
            Console.Error.WriteLine("parley serve: the HTTP server is coming; the library (Ledger.OpenAsync) works today.");
            return Failure;
        });
        return serve;
    }

    private static Command DbCommands()
    {
        var db = new Command("db", "Schema management.");
        var migrate = new Command("migrate", "Apply pending migrations under the migration lock.");
        migrate.SetAction(async (parsed, ct) =>
        {
            await using var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = DatabaseOf(parsed) }, ct);
            if (parsed.GetValue(Json))
                Console.WriteLine(JsonSerializer.Serialize(new { database = ledger.Database, version = ledger.SchemaVersion }));
            else
                Console.WriteLine($"{ledger.Database} is at schema version {ledger.SchemaVersion}.");
            return Ok;
        });
        db.Subcommands.Add(migrate);
        return db;
    }
}
