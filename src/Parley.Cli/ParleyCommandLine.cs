using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Hosting;

namespace Parley.Cli;

/// <summary>The <c>parley</c> command line (docs/cli.md). Exit codes (docs/cli.md, "Exit codes"): 0 success,
/// 1 failure, 2 usage error, 3 problems found (db verify, check, repair, lint; restore).</summary>
internal static class ParleyCommandLine
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int Usage = 2;
    public const int Problems = 3;

    private static readonly Option<string> Db = new("--db")
    {
        Description = "Database URL (sqlite:path, postgres://…, mysql://…); default $PARLEY_DB or sqlite:parley.db",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Machine-readable output",
        Recursive = true,
    };

    public static async Task<int> RunAsync(string[] args)
    {
        ParleyPostgreSql.Register();
        ParleyMySql.Register();
        var root = new RootCommand("Parley: a message ledger for chat and multichannel messaging.");
        root.Options.Add(Db);
        root.Options.Add(Json);
        root.Subcommands.Add(Serve());
        root.Subcommands.Add(DbCommands.Build());
        root.Subcommands.Add(SessionsCommands.Build());
        root.Subcommands.Add(StatsCommand.Build());
        root.Subcommands.Add(KeysCommands.Build());
        foreach (var command in BackupCommands.Build()) root.Subcommands.Add(command);
        foreach (var command in TransferCommands.Build()) root.Subcommands.Add(command);

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
        catch (Exception e)
        {
            var (message, exit) = Failed(e, parsed);
            await Console.Error.WriteLineAsync($"parley: {message}");
            return exit;
        }
    }

    /// <summary>What the operator reads when a command fails, and its exit code: the message of Parley's own
    /// exceptions (caller mistakes exit 2), and for anything unexpected one line naming the database or the file
    /// and what went wrong — never a stack trace.</summary>
    private static (string Message, int Exit) Failed(Exception e, ParseResult parsed)
    {
        while (e is AggregateException { InnerExceptions.Count: 1 } or System.Reflection.TargetInvocationException && e.InnerException is { } inner) e = inner;
        return e switch
        {
            ArgumentException a => (PlainMessage(a), Usage),
            ParleyNotFoundException => (e.Message, Usage),
            // An id several tenants hold: the command must name one (--tenant).
            ParleyConflictException => (e.Message.Replace("name the tenant.", "name it with --tenant.", StringComparison.Ordinal), Usage),
            ParleyException => (e.Message, Failure),
            System.Data.Common.DbException => ($"{SafeRedacted(parsed)}: {OneLine(e.Message)}", Failure),
            IOException or UnauthorizedAccessException => (OneLine(e.Message), Failure),
            OperationCanceledException => ("cancelled.", Failure),
            _ => ($"unexpected error ({e.GetType().Name}): {OneLine(e.Message)}", Failure),
        };
    }

    private static string OneLine(string message) => string.Join(" ", message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));

    private static string SafeRedacted(ParseResult parsed)
    {
        try
        {
            return Redacted(parsed);
        }
        catch (ArgumentException)
        {
            return "the database";
        }
    }

    /// <summary>The message without .NET's "(Parameter 'x')" suffix: Parley's messages already name the field.</summary>
    public static string PlainMessage(ArgumentException e)
    {
        var message = e is ArgumentOutOfRangeException ? e.Message.Split(Environment.NewLine)[0] : e.Message;
        return e.ParamName is null ? message : message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
    }

    /// <summary>The ledger named by --db (or PARLEY_DB), opened with the default startup mode. Without a spool: an
    /// operator's command answers from the database or fails, and leaves the spool to the server that owns it.
    /// A command that only reads, or only deletes (cleanup), passes <paramref name="readOnly"/>, so a mistyped path
    /// creates no database.</summary>
    public static Task<Ledger> OpenLedgerAsync(ParseResult parsed, CancellationToken ct, bool readOnly = false) =>
        Ledger.OpenAsync(new LedgerOptions { Database = DatabaseOf(parsed), Spool = false, CreateIfMissing = !readOnly }, ct);

    /// <summary>A time as Parley writes it everywhere (UTC, milliseconds: <c>2026-12-02T10:15:00.000Z</c>).</summary>
    public static string? Time(DateTimeOffset? t) =>
        t?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>An age or period such as <c>90d</c>, <c>36h</c>, <c>15m</c> or <c>30s</c>.</summary>
    public static TimeSpan ParseAge(string text, string option)
    {
        var unit = text.Length > 1 ? text[^1] : ' ';
        if (!long.TryParse(text.AsSpan(0, Math.Max(0, text.Length - 1)), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ||
            n <= 0 || unit is not ('d' or 'h' or 'm' or 's') || n > 100_000)
            throw new ArgumentException($"{option} takes a positive age such as 90d, 36h or 15m; got '{text}'.", option.TrimStart('-'));
        return unit switch { 'd' => TimeSpan.FromDays(n), 'h' => TimeSpan.FromHours(n), 'm' => TimeSpan.FromMinutes(n), _ => TimeSpan.FromSeconds(n) };
    }

    public static string DatabaseOf(ParseResult parsed) =>
        parsed.GetValue(Db) ?? Environment.GetEnvironmentVariable("PARLEY_DB") ?? "sqlite:parley.db";

    private static Command Serve()
    {
        var urls = new Option<string>("--urls") { Description = "Where to listen (default http://127.0.0.1:5080)", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var schema = new Option<string>("--schema") { Description = "migrate (default), verify or off", DefaultValueFactory = _ => "migrate" };
        schema.AcceptOnlyFromAmong("migrate", "verify", "off");
        var insecure = new Option<bool>("--insecure") { Description = "Serve beyond loopback without API keys" };
        var spool = new Option<string?>("--spool")
        {
            Description = "The spool file for writes while the database is unavailable (default: beside a SQLite file, or parley-{database}.spool here; env PARLEY_SPOOL)",
        };
        var spoolMax = new Option<int>("--spool-max-mb") { Description = "The most the spool may hold, in MiB (default 1024)", DefaultValueFactory = _ => 1024 };
        spoolMax.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1) r.AddError("--spool-max-mb must be at least 1.");
        });
        var maintainEvery = new Option<string>("--maintain-every")
        {
            Description = "How often the server refreshes statistics (ANALYZE, PRAGMA optimize) and applies --retention: 24h (default), 90m, 7d, or off",
            DefaultValueFactory = _ => "24h",
        };
        var retention = new Option<string?>("--retention") { Description = "Delete messages older than this at each maintenance run (90d, 36h …); default: keep everything" };
        var serve = new Command("serve", "Run the HTTP API.") { urls, schema, insecure, spool, spoolMax, maintainEvery, retention };
        serve.SetAction(async (parsed, ct) =>
        {
            var options = new Parley.AspNetCore.ServerOptions
            {
                Database = DatabaseOf(parsed),
                Urls = parsed.GetValue(urls)!,
                Schema = parsed.GetValue(schema) switch { "verify" => SchemaStartupMode.Verify, "off" => SchemaStartupMode.Off, _ => SchemaStartupMode.Migrate },
                Insecure = parsed.GetValue(insecure),
                Spool = parsed.GetValue(spool) ?? (Environment.GetEnvironmentVariable("PARLEY_SPOOL") is { Length: > 0 } path ? path : null),
                SpoolMaxBytes = parsed.GetValue(spoolMax) * 1024L * 1024,
                MaintainEvery = parsed.GetValue(maintainEvery) is "off" ? null : ParseAge(parsed.GetValue(maintainEvery)!, "--maintain-every"),
                Retention = parsed.GetValue(retention) is { } keep ? ParseAge(keep, "--retention") : null,
            };
            await using var app = await Parley.AspNetCore.ParleyServer.BuildAsync(options, ct);
            try
            {
                await app.StartAsync(ct);
            }
            catch (IOException e)
            {
                await Console.Error.WriteLineAsync($"parley: cannot listen on {options.Urls}: {e.Message}");
                return Failure;
            }
            await Console.Error.WriteLineAsync($"parley: serving {Redacted(parsed)} at {string.Join(", ", app.Urls)} (Ctrl+C or SIGTERM to stop)");
            await app.WaitForShutdownAsync(CancellationToken.None);
            return Ok;
        });
        return serve;
    }

    /// <summary>Writes <paramref name="json"/> as JSON with --json, or runs <paramref name="text"/>.</summary>
    public static void Print(ParseResult parsed, object json, Action text)
    {
        if (parsed.GetValue(Json)) Console.WriteLine(JsonSerializer.Serialize(json, JsonOutput));
        else text();
    }

    public static string Redacted(ParseResult parsed) => Ledger.DescribeDatabase(DatabaseOf(parsed));

    private static readonly JsonSerializerOptions JsonOutput = new()
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
