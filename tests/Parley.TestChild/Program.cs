using Parley.Internal.Schema;

// A child process for tests that need a real process to kill or to hold a lock:
//   slow-migrate PATH ROWS DELAY_MS  migrates sqlite:PATH to Parley's head plus a test migration whose data step
//                                    touches ROWS rows, sleeping DELAY_MS between chunks; prints "data step started".
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
Console.Error.WriteLine("usage: slow-migrate PATH ROWS DELAY_MS");
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
