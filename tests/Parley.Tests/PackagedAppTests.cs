using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Parley.Tests;

/// <summary>A fresh ASP.NET Core app, written here and built by the SDK against the packed packages from the local feed
/// (not the projects, so only Parley's public API is there to use): it calls <c>AddParley</c> + <c>MapParley("/parley")</c>
/// and serves the API under the prefix beside its own route, and it drives migrate, verify, check, backup and restore
/// through the public admin API. The same app, run as a client (the Parley.Client package), calls the served API under
/// its prefix.</summary>
[Collection(PackageFeedUsers.Name)]
public class PackagedAppTests(PackageFeed feed, ITestOutputHelper output)
{
    private const string Program = """
        using Parley;
        using Parley.AspNetCore;
        using Parley.Client;

        if (args is ["admin", var db, var copy, var backup])
        {
            var schema = LedgerSchema.For(new LedgerOptions { Database = db });
            var migrated = await schema.MigrateAsync();
            await using var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = db, Schema = SchemaStartupMode.Verify, Spool = false });
            await ledger.CreateSessionAsync(new NewSession { Id = "s" });
            await ledger.LogMessageAsync("s", new NewMessage { SenderType = SenderType.User, Content = "hi" });
            var check = await ledger.Admin.CheckAsync();
            var saved = await ledger.Admin.BackupAsync(backup, ndjson: true);
            var restored = await LedgerAdmin.For(new LedgerOptions { Database = copy }).RestoreAsync(saved.File);
            var drift = await schema.VerifyAsync();
            Console.WriteLine($"migrated {migrated.To} head {LedgerSchema.Head} drift {drift.Count} check {check.Count} backed-up {saved.Tables!["parley_messages"].Rows} restored {restored.Tables["parley_messages"].Rows} findings {restored.Findings.Count}");
            return 0;
        }

        if (args is ["client", var server])
        {
            var services = new ServiceCollection();
            services.AddParleyClient(new Uri(server), null);
            await using var provider = services.BuildServiceProvider();
            var parley = provider.GetRequiredService<ParleyClient>();
            var created = await parley.CreateSessionAsync(new NewSession { Id = "client-1" });
            var again = await parley.CreateSessionAsync(new NewSession { Id = "client-1" });
            var logged = await parley.LogMessageAsync("client-1", new NewMessage { SenderType = SenderType.User, Content = "from the client" });
            var read = await parley.GetMessageAsync(logged.Message.Id);
            Console.WriteLine($"created {created.Created} again {again.Created} logged {logged.Message.Status} events {read!.Events!.Count} missing {await parley.GetSessionAsync("nope") is null}");
            return 0;
        }

        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddParley();
        var app = builder.Build();
        app.MapGet("/", () => "the host's page");
        app.MapParley("/parley");
        await app.StartAsync();
        Console.WriteLine("listening " + string.Join(" ", app.Urls));
        await app.WaitForShutdownAsync();
        return 0;
        """;

    [Fact]
    public async Task a_fresh_app_built_against_the_packages_serves_parley_under_a_prefix_and_administers_it()
    {
        var dir = Directory.CreateDirectory(Path.Combine(feed.Directory, "host-app-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        await File.WriteAllTextAsync(Path.Combine(dir, "HostApp.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk.Web">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Parley.AspNetCore" Version="{feed.Version}" />
                <PackageReference Include="Parley.Client" Version="{feed.Version}" />
              </ItemGroup>
            </Project>
            """);
        await File.WriteAllTextAsync(Path.Combine(dir, "Program.cs"), Program);
        var watch = Stopwatch.StartNew();
        await DotnetProcess.DotnetAsync(dir, TimeSpan.FromMinutes(5), "build", "-c", "Release", "-o", Path.Combine(dir, "out"));
        output.WriteLine($"built the app against {feed.Version} in {watch.Elapsed.TotalSeconds:F0} s");
        var dll = Path.Combine(dir, "out", "HostApp.dll");

        var (admin, _) = await DotnetProcess.CheckedAsync(DotnetProcess.Host, dir, TimeSpan.FromMinutes(2),
            dll, "admin", "sqlite:" + Path.Combine(dir, "a.db"), "sqlite:" + Path.Combine(dir, "copy.db"), Path.Combine(dir, "a.ndjson"));
        Assert.Equal($"migrated {LedgerSchema.Head} head {LedgerSchema.Head} drift 0 check 0 backed-up 1 restored 1 findings 0", admin.Trim());

        var served = Path.Combine(dir, "served.db");
        var info = new ProcessStartInfo(DotnetProcess.Host) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])[dll, "--urls", "http://127.0.0.1:0", "--Parley:Database", "sqlite:" + served, "--Logging:LogLevel:Default", "Warning"]) info.ArgumentList.Add(a);
        using var app = Process.Start(info)!;
        try
        {
            var errors = app.StandardError.ReadToEndAsync();
            string? line;
            do
            {
                line = await app.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            }
            while (line is not null && !line.StartsWith("listening ", StringComparison.Ordinal));
            Assert.True(line is not null, "the app ended before it listened: " + (app.HasExited ? await errors : ""));
            var address = line!["listening ".Length..].Split(' ')[0];
            using var http = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(30) };

            var created = await http.PostAsync("/parley/api/v1/sessions", Json("""{"id":"support-7","kind":"live_agent"}"""));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.Equal(HttpStatusCode.Created, (await http.PostAsync("/parley/api/v1/sessions/support-7/messages", Json("""{"sender_type":"user","content":"where is my order?"}"""))).StatusCode);
            var transcript = JsonNode.Parse(await http.GetStringAsync("/parley/api/v1/sessions/support-7/messages"))!;
            Assert.Equal("where is my order?", transcript["items"]![0]!["content"]!.GetValue<string>());
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/parley/health/ready")).StatusCode);
            Assert.Equal("the host's page", await http.GetStringAsync("/"));
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/v1/sessions")).StatusCode);

            var (client, _) = await DotnetProcess.CheckedAsync(DotnetProcess.Host, dir, TimeSpan.FromMinutes(2), dll, "client", address.TrimEnd('/') + "/parley");
            Assert.Equal("created True again False logged Delivered events 1 missing True", client.Trim());
        }
        finally
        {
            app.Kill(entireProcessTree: true);
            await app.WaitForExitAsync();
        }
        // What the app acknowledged is in its database.
        await using var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = "sqlite:" + served, Spool = false });
        Assert.Equal(1, (await ledger.GetSessionAsync("support-7"))!.Summary.MessageCount);
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
