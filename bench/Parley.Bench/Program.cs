using System.Globalization;
using BenchmarkDotNet.Running;
using Parley.Bench;

// `ingest [scale] [name filter]` runs the load driver: every scenario and baseline in this one process, three runs each, median rows/s.
// `engines [scale] [name filter]` runs the ingest scenarios on PostgreSQL and MySQL/MariaDB (PARLEY_BENCH_POSTGRES, PARLEY_BENCH_MYSQL:
// admin URLs; each run creates and drops its own database) beside each engine's raw baseline.
// `readers [seconds] [rounds] [engine filter|-] [readers]` runs 64 (or [readers]) transcript readers beside 256 single-message writers, alternated with the
// writers alone (SQLite, and the server engines whose PARLEY_BENCH_* variable is set).
// `stats [messages] [sqlite|postgres|-]` times the analytics routes over a ledger of [messages] (10,000,000) generated straight into the
// database, its rollups built by the upgrade's backfill, beside a plain scan of the messages (SQLite, and PostgreSQL when PARLEY_BENCH_POSTGRES is set).
// Anything else goes to BenchmarkDotNet (e.g. `-- --filter '*'`).
if (args.Length > 0 && args[0] == "ingest")
{
    var scale = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 1.0;
    return await IngestDriver.RunAsync(scale, args.Length > 2 ? args[2] : null);
}
if (args.Length > 0 && args[0] == "engines")
    return await EngineDriver.RunAsync(args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 1.0, args.Length > 2 ? args[2] : null);
if (args.Length > 0 && args[0] == "engines-schema")
    return await EngineSchemaDriver.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000);
if (args.Length > 0 && args[0] == "cleanup")
    return await CleanupDriver.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000,
        args.Length > 2 && args[2] != "-" ? args[2] : null, args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 250);
if (args.Length > 0 && args[0] == "http")
    return await HttpDriver.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 50_000);
if (args.Length > 0 && args[0] == "readers")
    return await ReadersDriver.RunAsync(args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 20,
        args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5, args.Length > 3 && args[3] != "-" ? args[3] : null,
        args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 64);
if (args.Length > 0 && args[0] == "schema")
    return SchemaDriver.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000);
if (args.Length > 0 && args[0] == "stats")
    return await StatsDriver.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10_000_000, args.Length > 2 && args[2] != "-" ? args[2] : null);
BenchmarkSwitcher.FromAssembly(typeof(IngestDriver).Assembly).Run(args);
return 0;
