using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using nietras.SeparatedValues;
using Parley.AspNetCore.Http;

namespace Parley.Tests;

/// <summary><c>parley export</c> and <c>parley import</c> (docs/transfer.md) as real processes on real engines: a
/// ledger exported and imported into an empty one of another engine answers every session, message, event, marker,
/// summary and figure as the source does; a second import changes nothing; a file cut short or changed is refused
/// before anything is written; a conflicting line is reported with its number; CSV parses back strictly.</summary>
public class TransferTests
{
    public static TheoryData<string, string> Pairs() => new()
    {
        { TestDatabases.Sqlite, TestDatabases.Postgres },
        { TestDatabases.Sqlite, TestDatabases.MySql },
        { TestDatabases.Postgres, TestDatabases.Sqlite },
    };

    private static readonly DateTimeOffset T0 = new(2026, 11, 20, 9, 0, 0, TimeSpan.Zero);

    /// <summary>Sessions in two tenants and none, an empty one and an ended one; messages with every kind of report:
    /// applied, late and earlier, stale, duplicate, an implied delivery, a failure then a delivery, a cancel, read
    /// markers; hostile text everywhere.</summary>
    internal static async Task SeedAsync(Ledger ledger, string prefix = "")
    {
        await ledger.CreateSessionAsync(new NewSession
        {
            Id = prefix + "chat-1", Kind = "live_agent", Title = "Ünïcödé \"quoted\", comma\nnewline", UserAccount = "u-1",
            Metadata = new JsonObject { ["z"] = 1, ["a"] = new JsonObject { ["nested"] = "✓" } },
        });
        await ledger.CreateSessionAsync(new NewSession { Id = prefix + "bulk-1", Kind = "bulk_send", Tenant = "acme" });
        await ledger.CreateSessionAsync(new NewSession { Id = prefix + "empty", Tenant = "globex" });
        var logged = await ledger.LogMessagesAsync(prefix + "chat-1",
        [
            new NewMessage { Id = prefix + "m1", SenderType = SenderType.Agent, Channel = "sms", Content = "=HYPERLINK(\"x\")", Template = "welcome", ProviderMessageId = prefix + "SM1", CreatedAt = T0 },
            new NewMessage { Id = prefix + "m2", SenderType = SenderType.User, Direction = Direction.Inbound, Channel = "sms", Content = "héllo 😀, \"hi\"\r\nline", CreatedAt = T0.AddMinutes(1) },
            new NewMessage { Id = prefix + "m3", SenderType = SenderType.Agent, Channel = "whatsapp", Content = "-5 +3 @me\ttab", Recipient = "+15550001", Subject = "s", CreatedAt = T0.AddMinutes(2),
                Metadata = new JsonObject { ["k"] = "v", ["n"] = 1.5 } },
            new NewMessage { Id = prefix + "m4", SenderType = SenderType.Ai, Channel = "web", Content = "cancel me", IdempotencyKey = "k-4", CreatedAt = T0.AddMinutes(3) },
        ]);
        Assert.All(logged, l => Assert.True(l.Created));
        await ledger.ReportStatusAsync(prefix + "m1", new StatusReport { Status = MessageStatus.Delivered, At = T0.AddSeconds(30), Detail = new JsonObject { ["b"] = 1, ["a"] = 2 } });
        await ledger.ReportStatusAsync(prefix + "m1", new StatusReport { Status = MessageStatus.Sent, At = T0.AddSeconds(10) });   // late, earlier: stale but moves sent_at
        await ledger.ReportStatusAsync(prefix + "m1", new StatusReport { Status = MessageStatus.Delivered, At = T0.AddSeconds(30) }); // duplicate
        await ledger.ReportStatusAsync(prefix + "m3", new StatusReport { Status = MessageStatus.Failed, At = T0.AddMinutes(3), ErrorCode = "470", ErrorMessage = "window closed, \"retry\"" });
        await ledger.ReportStatusAsync(prefix + "m3", new StatusReport { Status = MessageStatus.Read, At = T0.AddMinutes(5), Source = "webhook" });      // implied delivery after a failure
        await ledger.ReportStatusAsync(prefix + "m4", new StatusReport { Status = MessageStatus.Cancelled });
        await ledger.MarkReadAsync(prefix + "chat-1", new ReadMarker { Reader = Reader.Agent, UpTo = prefix + "m2", At = T0.AddMinutes(4) });
        await ledger.LogMessagesAsync(prefix + "bulk-1",
            [.. Enumerable.Range(0, 30).Select(i => new NewMessage { SenderType = SenderType.System, Channel = "email", Template = $"t{i % 3}", Content = $"bulk {i}", CreatedAt = T0.AddHours(i) })]);
        await ledger.EndSessionAsync(prefix + "bulk-1", T0.AddDays(2));
    }

    /// <summary>Everything a user can read back, as the HTTP API writes it (event ids aside: each database numbers its own).</summary>
    internal static async Task<string> ReadBackAsync(Ledger ledger)
    {
        var all = new JsonArray();
        for (var page = 1; ; page++)
        {
            var sessions = await ledger.ListSessionsAsync(new SessionQuery { Page = page, PerPage = 100 });
            foreach (var s in sessions.Items.OrderBy(s => s.Id, StringComparer.Ordinal))
            {
                var node = JsonSerializer.SerializeToNode(s, ParleyJson.Options)!.AsObject();
                var messages = new JsonArray();
                var view = s.Tenant is null ? ledger : ledger.ForTenant(s.Tenant);
                string? cursor = null;
                do
                {
                    var transcript = await view.GetTranscriptAsync(s.Id, new TranscriptQuery { Limit = 100, Cursor = cursor });
                    foreach (var m in transcript.Items)
                    {
                        var full = JsonSerializer.SerializeToNode(await view.GetMessageAsync(m.Id), ParleyJson.Options)!.AsObject();
                        foreach (var e in full["events"]!.AsArray()) e!.AsObject().Remove("id");
                        messages.Add(full);
                    }
                    cursor = transcript.NextCursor;
                }
                while (cursor is not null);
                node["messages"] = messages;
                all.Add(node);
            }
            if (sessions.Items.Count < 100) break;
        }
        var stats = await ledger.GetStatsAsync(new StatsQuery { Since = T0.AddDays(-1), Until = T0.AddDays(30) });
        return Sorted(new JsonObject { ["sessions"] = all, ["stats"] = JsonSerializer.SerializeToNode(stats, ParleyJson.Options) })!.ToJsonString();
    }

    // PostgreSQL's jsonb keeps its own key order: documents are compared with sorted keys.
    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, Sorted(kv.Value)))),
        JsonArray a => new JsonArray([.. a.Select(Sorted)]),
        null => null,
        _ => node.DeepClone(),
    };

    [EngineTheory]
    [MemberData(nameof(Pairs))]
    public async Task an_export_imported_into_an_empty_ledger_of_another_engine_reads_back_identically_and_a_second_import_changes_nothing(string from, string to)
    {
        using var source = new EngineDatabase(from);
        using var target = new EngineDatabase(to);
        var dir = Directory.CreateTempSubdirectory("parley-transfer-").FullName;
        var file = Path.Combine(dir, "ledger.ndjson.gz");
        string expected;
        await using (var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = source.Url }))
        {
            await SeedAsync(ledger);
            expected = await ReadBackAsync(ledger);
        }

        var export = await ChildProcess.ParleyAsync("export", "--out", file, "--db", source.Url);
        Assert.True(export.Exit == 0, export.Out + export.Err);
        Assert.Contains("exported 3 sessions, 34 messages and", export.Out);
        Assert.Equal("", export.Err);

        var first = await ChildProcess.ParleyAsync("import", file, "--db", target.Url, "--json");
        Assert.True(first.Exit == 0, first.Out + first.Err);
        var counts = JsonNode.Parse(first.Out)!;
        Assert.Equal(0, (long)counts["conflicts"]!);
        Assert.Equal(0, (long)counts["unchanged"]!);
        Assert.Equal(target.Scalar("SELECT count(*) FROM parley_sessions") + target.Scalar("SELECT count(*) FROM parley_messages") +
                     target.Scalar("SELECT count(*) FROM parley_message_events"), (long)counts["inserted"]!);

        await using (var imported = await Ledger.OpenAsync(new LedgerOptions { Database = target.Url }))
            Assert.Equal(expected, await ReadBackAsync(imported));
        var check = await ChildProcess.ParleyAsync("db", "check", "--db", target.Url);
        Assert.True(check.Exit == 0, check.Out + check.Err);

        var again = await ChildProcess.ParleyAsync("import", file, "--db", target.Url, "--json");
        Assert.True(again.Exit == 0, again.Out + again.Err);
        var repeat = JsonNode.Parse(again.Out)!;
        Assert.Equal(0, (long)repeat["inserted"]!);
        Assert.Equal(0, (long)repeat["updated"]!);
        Assert.Equal((long)counts["inserted"]!, (long)repeat["unchanged"]!);
        await using (var imported = await Ledger.OpenAsync(new LedgerOptions { Database = target.Url }))
            Assert.Equal(expected, await ReadBackAsync(imported));
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task an_incremental_export_carries_late_events_of_old_messages_and_brings_a_copy_level_with_the_source()
    {
        using var source = new EngineDatabase(TestDatabases.Sqlite);
        using var target = new EngineDatabase(TestDatabases.Sqlite);
        var dir = Directory.CreateTempSubdirectory("parley-transfer-").FullName;
        await using var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = source.Url });
        await SeedAsync(ledger);
        var full = await ledger.Admin.ExportToFileAsync(Path.Combine(dir, "full.ndjson"), new ExportOptions());
        Assert.Equal(0, (await LedgerAdmin.For(new LedgerOptions { Database = target.Url }).ImportFileAsync(Path.Combine(dir, "full.ndjson"))).ConflictCount);

        // Afterwards: a late read of an old message, a new message, a renamed session.
        await ledger.ReportStatusAsync("m1", new StatusReport { Status = MessageStatus.Read, At = T0.AddMinutes(9) });
        await ledger.LogMessageAsync("chat-1", new NewMessage { Id = "m5", SenderType = SenderType.User, Direction = Direction.Inbound, Channel = "sms", Content = "later" });
        await ledger.UpdateSessionAsync("chat-1", new SessionPatch { Title = "renamed" });
        var delta = Path.Combine(dir, "delta.ndjson");
        var after = await ledger.Admin.ExportToFileAsync(delta, new ExportOptions { After = full.NextCursor });
        var lines = File.ReadAllLines(delta).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(["m1", "m5"], lines.Where(l => (string?)l["type"] == "message").Select(l => (string)l["id"]!));
        Assert.Equal(["read", "delivered"], lines.Where(l => (string?)l["type"] == "event").Select(l => (string)l["status"]!));
        Assert.Equal(2, after.Messages);

        var merged = await LedgerAdmin.For(new LedgerOptions { Database = target.Url }).ImportFileAsync(delta);
        Assert.Equal(0, merged.ConflictCount);
        Assert.True(merged.Inserted >= 3, $"the read event, m5 and its event went in: {merged}");
        await using var copy = await Ledger.OpenAsync(new LedgerOptions { Database = target.Url });
        Assert.Equal(await ReadBackAsync(ledger), await ReadBackAsync(copy));
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task a_file_cut_short_or_changed_is_refused_with_exit_3_before_anything_is_written()
    {
        using var source = new EngineDatabase(TestDatabases.Sqlite);
        var dir = Directory.CreateTempSubdirectory("parley-transfer-").FullName;
        await using (var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = source.Url })) await SeedAsync(ledger);
        var file = Path.Combine(dir, "x.ndjson");
        Assert.Equal(0, (await ChildProcess.ParleyAsync("export", "--out", file, "--db", source.Url)).Exit);
        var bytes = await File.ReadAllBytesAsync(file);

        var cut = Path.Combine(dir, "cut.ndjson");
        await File.WriteAllBytesAsync(cut, bytes[..(bytes.Length / 2)]);
        var changed = Path.Combine(dir, "changed.ndjson");
        await File.WriteAllTextAsync(changed, Encoding.UTF8.GetString(bytes).Replace("bulk 7", "bulk 8", StringComparison.Ordinal));
        var noTrailer = Path.Combine(dir, "no-trailer.ndjson");
        await File.WriteAllLinesAsync(noTrailer, File.ReadAllLines(file)[..^1]);
        foreach (var (bad, says) in new[]
                 {
                     (cut, "cut short"), (noTrailer, "cut short"), (changed, "does not match the checksum in its trailer"),
                 })
        {
            var target = Path.Combine(dir, $"target-{Path.GetFileNameWithoutExtension(bad)}.db");
            var refused = await ChildProcess.ParleyAsync("import", bad, "--db", "sqlite:" + target);
            Assert.Equal(3, refused.Exit);
            Assert.Contains(says, refused.Err);
            Assert.Contains("Nothing was imported", refused.Err);
            Assert.False(File.Exists(target), "a refused import creates no database");
        }
        var notExport = await ChildProcess.ParleyAsync("import", Path.Combine(ChildProcess.RepoRoot, "README.md"), "--db", "sqlite:" + Path.Combine(dir, "r.db"));
        Assert.Equal(3, notExport.Exit);
        Assert.Contains("is not the header of a Parley export", notExport.Err);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task a_line_that_disagrees_with_stored_data_is_reported_with_its_number_and_the_rest_goes_in()
    {
        using var source = new EngineDatabase(TestDatabases.Sqlite);
        using var target = new EngineDatabase(TestDatabases.Sqlite);
        var dir = Directory.CreateTempSubdirectory("parley-transfer-").FullName;
        await using (var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = source.Url })) await SeedAsync(ledger);
        await using (var other = await Ledger.OpenAsync(new LedgerOptions { Database = target.Url }))
        {
            await other.CreateSessionAsync(new NewSession { Id = "chat-1", Kind = "live_agent", Title = "t" });
            // m3 exists in the target with other content.
            await other.LogMessageAsync("chat-1", new NewMessage { Id = "m3", SenderType = SenderType.Agent, Channel = "whatsapp", Content = "different" });
        }
        var file = Path.Combine(dir, "x.ndjson");
        Assert.Equal(0, (await ChildProcess.ParleyAsync("export", "--out", file, "--db", source.Url)).Exit);
        var lines = File.ReadAllLines(file);
        var sessionLine = Array.FindIndex(lines, l => l.Contains("\"type\":\"session\",\"id\":\"chat-1\"", StringComparison.Ordinal)) + 1;
        var m3Line = Array.FindIndex(lines, l => l.Contains("\"type\":\"message\",\"id\":\"m3\"", StringComparison.Ordinal)) + 1;

        var fail = await ChildProcess.ParleyAsync("import", file, "--db", target.Url, "--on-conflict", "fail");
        Assert.Equal(3, fail.Exit);
        Assert.Contains($"line {sessionLine}: started_at differs", fail.Err);
        Assert.Equal(1, target.Scalar("SELECT count(*) FROM parley_messages"));

        var skip = await ChildProcess.ParleyAsync("import", file, "--db", target.Url, "--json");
        Assert.Equal(3, skip.Exit);
        var result = JsonNode.Parse(skip.Out)!;
        var conflicts = result["conflict_lines"]!.AsArray();
        Assert.Contains(conflicts, c => (long)c!["line"]! == sessionLine && (string)c["kind"]! == "session");
        // The session conflicts, so its messages (m3 among them) and their events are skipped with it.
        Assert.Contains(conflicts, c => (long)c!["line"]! == m3Line && ((string)c["reason"]!).Contains("its session 'chat-1' conflicts", StringComparison.Ordinal));
        Assert.Equal(1, target.Scalar("SELECT count(*) FROM parley_messages WHERE id = 'm3' AND content = 'different'"));
        // The other tenants' sessions went in.
        Assert.Equal(31, target.Scalar("SELECT count(*) FROM parley_messages"));
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task csv_is_rfc_4180_with_spreadsheet_safe_cells_and_parses_back_strictly()
    {
        using var source = new EngineDatabase(TestDatabases.Sqlite);
        await using (var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = source.Url })) await SeedAsync(ledger);
        var safe = await ChildProcess.ParleyAsync("export", "--format", "csv", "--session", "chat-1", "--db", source.Url, "--quiet");
        Assert.True(safe.Exit == 0, safe.Err);
        Assert.Equal("", safe.Err);
        Assert.Contains("\r\n", safe.Out);
        var raw = await ChildProcess.ParleyAsync("export", "--format", "csv", "--session", "chat-1", "--raw", "--db", source.Url, "--quiet");

        await using var ledger2 = await Ledger.OpenAsync(new LedgerOptions { Database = source.Url });
        var stored = (await ledger2.GetTranscriptAsync("chat-1")).Items;
        foreach (var (text, prefixed) in new[] { (safe.Out, true), (raw.Out, false) })
        {
            using var reader = Sep.New(',').Reader(o => o with { Unescape = true, DisableColCountCheck = false }).FromText(text);
            Assert.Equal(["id", "session_id", "created_at", "direction", "sender_type", "sender_id", "sender_name", "channel", "recipient", "template", "subject",
                "status", "sent_at", "delivered_at", "read_at", "failed_at", "cancelled_at", "provider_message_id", "error_code", "error_message", "content", "metadata"],
                reader.Header.ColNames);
            var rows = new List<(string Id, string Content, string ErrorMessage, string Metadata, string Status)>();
            foreach (var row in reader)
                rows.Add((row["id"].ToString(), row["content"].ToString(), row["error_message"].ToString(), row["metadata"].ToString(), row["status"].ToString()));
            Assert.Equal(stored.Select(m => m.Id), rows.Select(r => r.Id));
            foreach (var m in stored)
            {
                var row = rows.Single(r => r.Id == m.Id);
                var formula = m.Content.Length > 0 && m.Content[0] is '=' or '+' or '-' or '@' or '\t' or '\r';
                Assert.Equal(prefixed && formula ? "'" + m.Content : m.Content, row.Content);
                Assert.Equal(m.ErrorMessage ?? "", row.ErrorMessage);
                Assert.Equal(m.Status.ToString().ToLowerInvariant(), row.Status);
                if (m.Metadata is not null) Assert.True(JsonNode.DeepEquals(m.Metadata, JsonNode.Parse(row.Metadata)));
                else Assert.Equal("", row.Metadata);
            }
        }
        var bom = await ChildProcess.ParleyAsync("export", "--format", "csv", "--bom", "--out", Path.Combine(Path.GetTempPath(), $"parley-{Guid.NewGuid():N}.csv"), "--db", source.Url, "--json");
        var bomFile = (string)JsonNode.Parse(bom.Out)!["file"]!;
        Assert.Equal([0xEF, 0xBB, 0xBF], (await File.ReadAllBytesAsync(bomFile))[..3]);
        File.Delete(bomFile);
        var wrong = await ChildProcess.ParleyAsync("export", "--format", "json", "--raw", "--db", source.Url);
        Assert.Equal(2, wrong.Exit);
        Assert.Contains("raw and bom apply to CSV only", wrong.Err);
    }

    [Fact]
    public async Task a_json_export_holds_each_message_exactly_as_the_api_answers_it()
    {
        using var source = new EngineDatabase(TestDatabases.Sqlite);
        await using var ledger = await Ledger.OpenAsync(new LedgerOptions { Database = source.Url });
        await SeedAsync(ledger);
        using var buffer = new MemoryStream();
        var result = await ledger.Admin.ExportAsync(buffer, new ExportOptions { Format = ExportFormat.Json, SessionId = "chat-1", Since = T0, Until = T0.AddMinutes(3) });
        Assert.Equal(3, result.Messages);
        var exported = JsonNode.Parse(buffer.ToArray())!.AsArray();
        Assert.Equal(["m1", "m2", "m3"], exported.Select(m => (string)m!["id"]!));
        foreach (var m in exported)
        {
            var api = JsonSerializer.SerializeToNode(await ledger.GetMessageAsync((string)m!["id"]!), ParleyJson.Options);
            Assert.True(JsonNode.DeepEquals(api, m), $"{m.ToJsonString()}\n{api!.ToJsonString()}");
        }
    }

    [Fact]
    public async Task export_to_stdout_carries_only_data_and_a_redirected_progress_never_reaches_it()
    {
        using var source = new EngineDatabase(TestDatabases.Sqlite);
        await source.SeedAsync(2500);
        var run = await ChildProcess.ParleyAsync("export", "--db", source.Url);
        Assert.Equal(0, run.Exit);
        var lines = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, l => Assert.StartsWith("{\"type\":", l));
        Assert.Equal(2500, lines.Count(l => l.StartsWith("{\"type\":\"message\"", StringComparison.Ordinal)));
        Assert.StartsWith("exported 1 sessions, 2,500 messages", run.Err);
    }
}
