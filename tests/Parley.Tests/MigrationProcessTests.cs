using Parley.Internal.Schema;

namespace Parley.Tests;

/// <summary>The migration lock with real processes: concurrent migrators, a crash in the middle, a waiter.</summary>
public class MigrationProcessTests : IDisposable
{
    private readonly SchemaFixture _db = new();

    public void Dispose() => _db.Dispose();

    [Fact]
    public async Task eight_processes_migrating_one_fresh_database_at_once_apply_each_version_once()
    {
        var runs = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => ChildProcess.ParleyAsync("db", "migrate", "--db", _db.Url)));
        Assert.All(runs, r => Assert.True(r.Exit == 0, $"exit {r.Exit}: {r.Err}"));
        Assert.Equal(ParleySchema.Head, _db.Scalar("SELECT count(*) FROM parley_schema_history"));
        Assert.Equal(ParleySchema.Head, _db.Scalar("SELECT count(*) FROM parley_system_events WHERE event = 'migration_applied'"));
        // Exactly one process applied the migrations; the others found nothing to do.
        Assert.Single(runs, r => r.Out.StartsWith("applied", StringComparison.Ordinal));
        Assert.Empty(_db.Runner().Verify());
    }

    [Fact]
    public async Task a_migrator_killed_in_the_middle_of_a_data_step_leaves_the_previous_version_and_no_lock()
    {
        await _db.SeedAsync(2000);
        using (var child = ChildProcess.Start(ChildProcess.TestChild, "slow-migrate", _db.Path, "2000", "50"))
        {
            // Wait until the data step has started and done some of its updates (2 of 20 chunks), then SIGKILL.
            var line = await child.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal("data step started", line);
            Assert.Equal("updated 100", await child.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)));
            Assert.Equal("updated 200", await child.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)));
            child.Kill();
            await child.WaitForExitAsync();
        }
        Assert.Equal(ParleySchema.Head, _db.Runner().Status().Version);
        Assert.DoesNotContain("priority", _db.Columns("parley_messages"));
        Assert.Empty(_db.Runner().Verify());

        // The lock died with the process: migrating again goes straight through.
        var (exit, stdout, stderr) = await ChildProcess.RunAsync(ChildProcess.TestChild, TimeSpan.FromMinutes(2), "slow-migrate", _db.Path, "2000", "0");
        Assert.True(exit == 0, stderr);
        Assert.Contains($"migrated to {ParleySchema.Head + 1}", stdout);
        Assert.Equal(2000, _db.Scalar("SELECT count(*) FROM parley_messages WHERE priority = 1"));
    }

    [Fact]
    public async Task a_process_waiting_for_the_migration_lock_says_who_holds_it()
    {
        await _db.SeedAsync(500);
        // The holder's data step would take 5 minutes; it is killed as soon as the waiter has said whom it waits for.
        using var holder = ChildProcess.Start(ChildProcess.TestChild, "slow-migrate", _db.Path, "500", "60000");
        Assert.Equal("data step started", await holder.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)));
        using var waiter = ChildProcess.Start(ChildProcess.Cli, "db", "status", "--db", _db.Url);
        var stdout = waiter.StandardOutput.ReadToEndAsync(); // read, so that the waiter never blocks on a full pipe
        var said = new List<string>();
        try
        {
            while (await waiter.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) is { } line)
            {
                said.Add(line);
                if (line.Contains("waiting for the migration lock", StringComparison.Ordinal)) break;
            }
        }
        finally
        {
            holder.Kill();
            await holder.WaitForExitAsync();
        }
        var rest = await waiter.StandardError.ReadToEndAsync().WaitAsync(TimeSpan.FromMinutes(2));
        await waiter.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        var stderr = string.Join("\n", said) + "\n" + rest;
        Assert.True(waiter.ExitCode == 0, stderr);
        Assert.Contains($"waiting for the migration lock on sqlite:{_db.Path}, held by pid {holder.Id} on {Environment.MachineName}", stderr);
        await stdout;
    }
}
