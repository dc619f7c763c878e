using Parley.Internal.Schema;

// A child process for tests that need a real process to kill or to hold a lock:
//   slow-migrate PATH ROWS DELAY_MS  migrates sqlite:PATH to Parley's head plus a test migration whose data step
//                                    touches ROWS rows, sleeping DELAY_MS between chunks; prints "data step started",
//                                    then "updated N" after each chunk of 100 (N rows so far, uncommitted).
//   ingest URL RUN ACKS              logs messages (ids RUN-task-n) from 16 concurrent callers and reports each one
//                                    delivered, forever; appends "logged ID;" and "reported ID;" to the file ACKS
//                                    after each commit (written through to the OS, so a SIGKILL keeps them).
//   ingest URL RUN ACKS fast-spool   the same, spooling after 100 ms of a locked database instead of 2 s.
if (args.Length == 4 && args[0] == "slow-migrate")
{
    var path = args[1];
    var rows = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
    var delay = int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture);
    using var engine = SchemaEngines.For("sqlite:" + path, TimeSpan.FromSeconds(60));
    var runner = new SchemaRunner(engine, TestMigrations.WithSlowStep(rows, delay), TimeProvider.System, Console.Error.WriteLine);
    var change = runner.Migrate();
    Console.WriteLine($"migrated to {change.To}");
    return 0;
}
if (args.Length is 4 or 5 && args[0] == "ingest")
{
    using var acks = new StreamWriter(new FileStream(args[3], FileMode.Append, FileAccess.Write, FileShare.Read), new System.Text.UTF8Encoding(false));
    var options = new Parley.LedgerOptions { Database = args[1] };
    if (args.Length == 5 && args[4] == "fast-spool")
    {
        options.BusyTimeout = TimeSpan.FromMilliseconds(50);
        options.SpoolAfter = TimeSpan.FromMilliseconds(100);
    }
    await using var ledger = await Parley.Ledger.OpenAsync(options);
    await ledger.CreateSessionAsync(new Parley.NewSession { Id = "crash" });
    var run = args[2];
    var output = new object();
    void Say(string line)
    {
        lock (output)
        {
            acks.Write(line + ";\n");
            acks.Flush();
        }
    }
    Say("ready");
    await Task.WhenAll(Enumerable.Range(0, 16).Select(task => Task.Run(async () =>
    {
        for (var n = 0; ; n++)
        {
            var id = $"{run}-{task}-{n}";
            if (n % 4 == 0)
            {
                // Every fourth call logs a batch of five, all or nothing.
                var batch = Enumerable.Range(0, 5).Select(k => new Parley.NewMessage { Id = $"{id}-{k}", SenderType = Parley.SenderType.Agent, Channel = "sms", Content = $"batch {id}" }).ToList();
                await ledger.LogMessagesAsync("crash", batch);
                foreach (var m in batch) Say($"logged {m.Id}");
            }
            else
            {
                await ledger.LogMessageAsync("crash", new Parley.NewMessage { Id = id, SenderType = Parley.SenderType.Agent, Channel = "sms", Content = $"single {id}" });
                Say($"logged {id}");
                await ledger.ReportStatusAsync(id, new Parley.StatusReport { Status = Parley.MessageStatus.Delivered });
                Say($"reported {id}");
            }
        }
    })));
    return 0;
}
Console.Error.WriteLine("usage: slow-migrate PATH ROWS DELAY_MS | ingest URL RUN ACKS [fast-spool]");
return 2;

internal static class TestMigrations
{
    /// <summary>Parley's migrations and a v(head+1) that adds a column and backfills it slowly.</summary>
    public static IReadOnlyList<Migration> WithSlowStep(int rows, int delayMs)
    {
        var head = ParleySchema.Migrations;
        var before = SchemaState.At(head, head[^1].Version);
        var step = new DataStep("backfill priority", 1, ctx =>
        {
            Console.WriteLine("data step started");
            Console.Out.Flush();
            for (var done = 0; done < rows; done += 100)
            {
                ctx.Execute("UPDATE parley_messages SET priority = 1 WHERE row_id IN (SELECT row_id FROM parley_messages WHERE priority = 0 LIMIT 100)");
                Console.WriteLine($"updated {Math.Min(done + 100, rows)}");
                Console.Out.Flush();
                if (delayMs > 0) Thread.Sleep(delayMs);
            }
        }, ctx => ctx.Execute("UPDATE parley_messages SET priority = 0"));
        var v = Migration.Reversible(head[^1].Version + 1, "test: message priority",
        [
            new AddColumn("parley_messages", new ColumnDef("priority", ColumnType.Integer, Nullable: false, Default: DefaultValue.Of(0))),
            step,
        ], before);
        return [.. head, v];
    }
}
