namespace Parley.Tests;

/// <summary>The server drops the writer's connection (an administrator's kill, a restarted proxy): the next write
/// fails with a transient error, the writer replaces the connection and retries, and the caller sees success.</summary>
public class ConnectionLossTests
{
    [EngineTheory]
    [MemberData(nameof(TestDatabases.Servers), MemberType = typeof(TestDatabases))]
    public async Task a_write_after_the_server_killed_the_connection_is_retried_on_a_new_one(string engine)
    {
        await using var t = await TempLedger.OpenAsync(engine);
        var session = await t.NewSessionAsync("s");
        await t.Ledger.LogMessageAsync(session, new NewMessage { SenderType = SenderType.Agent, Content = "before" });

        using (var admin = t.Raw())
        {
            var killed = 0;
            using var cmd = admin.CreateCommand();
            if (engine == TestDatabases.Postgres)
            {
                cmd.CommandText = "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()";
                killed = Convert.ToInt32(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            }
            else
            {
                cmd.CommandText = "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> CONNECTION_ID()";
                var ids = new List<long>();
                using (var r = cmd.ExecuteReader()) while (r.Read()) ids.Add(r.GetInt64(0));
                foreach (var id in ids) TestDatabases.Exec(admin, $"KILL CONNECTION {id}");
                killed = ids.Count;
                // KILL returns before the connection is gone: wait until the server no longer lists it.
                for (var i = 0; i < 100; i++)
                {
                    using var left = admin.CreateCommand();
                    left.CommandText = $"SELECT count(*) FROM information_schema.PROCESSLIST WHERE ID IN ({string.Join(", ", ids)})";
                    if (Convert.ToInt64(left.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0) break;
                    await Task.Delay(50);
                }
            }
            Assert.True(killed >= 1, "the writer's connection was not found");
        }

        var after = await t.Ledger.LogMessageAsync(session, new NewMessage { SenderType = SenderType.Agent, Content = "after" });
        Assert.True(after.Created);
        Assert.Equal(2, t.Scalar("SELECT count(*) FROM parley_messages"));
        // The recovery is recorded in its own small transaction just after the retried commit, before the writer takes
        // another call: once a later write has committed, the event is there.
        await t.Ledger.LogMessageAsync(session, new NewMessage { SenderType = SenderType.Agent, Content = "later" });
        Assert.True((await t.Ledger.GetSystemEventsAsync()).Any(e => e.Source == "writer" && e.Event == "transient_error_recovered"),
            "the recovered error was not recorded as a system event");
    }
}
