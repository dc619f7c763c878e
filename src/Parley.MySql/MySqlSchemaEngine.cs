using System.Data.Common;
using System.Diagnostics;
using System.Text.RegularExpressions;
using MySqlConnector;
using Parley.Internal.Schema;

namespace Parley.MySql;

/// <summary>Schema management on MySQL/MariaDB. The migration lock is <c>GET_LOCK</c>, held by the connection the
/// migrations run on (the server releases it if the holder dies). DDL is not transactional here: each statement
/// commits as it runs.</summary>
internal sealed partial class MySqlSchemaEngine(MySqlConnectionStringBuilder? cs, TimeSpan lockTimeout) : AdoSchemaEngine(MySqlFlavor.Instance)
{
    private const string LockName = "parley_migrations";
    private MySqlConnection? _conn;
    private bool? _mariaDb;

    public override string Engine => "mysql";

    public override bool PartialIndexes => false;
    public override bool TransactionalDdl => false;

    protected override DbConnection Work => _conn ?? throw new InvalidOperationException("the migration lock is not held.");

    protected override string HistoryDdl => $"""
        CREATE TABLE IF NOT EXISTS {ParleySchema.HistoryTable} (
            version int NOT NULL PRIMARY KEY,
            name varchar(200) NOT NULL,
            checksum varchar(64) NOT NULL,
            applied_at datetime(3) NOT NULL,
            execution_ms bigint NOT NULL,
            applied_by varchar(255) NOT NULL,
            state varchar(16) NOT NULL
        ) {MySqlDialect.TableOptions}
        """;

    protected override string TableExistsSql => "SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = @t";

    private string Where => cs is null ? "mysql" : $"mysql://{cs.Server}:{cs.Port}/{cs.Database}";

    private bool MariaDb => _mariaDb ??= Query("SELECT VERSION()", r => r.GetString(0))[0].Contains("MariaDB", StringComparison.OrdinalIgnoreCase);

    public override void Connect()
    {
        if (cs is null) throw new InvalidOperationException("no database to connect to.");
        _conn = new MySqlConnection(new MySqlConnectionStringBuilder(cs.ConnectionString) { Pooling = false }.ConnectionString);
        try
        {
            _conn.Open();
        }
        catch (MySqlException e)
        {
            Dispose();
            throw new ParleyException($"cannot connect to {Where}: {e.Message}", e);
        }
    }

    public override void Lock(Action<string> waiting)
    {
        Connect();
        var watch = Stopwatch.StartNew();
        TimeSpan? lastSaid = null;
        while (Query("SELECT GET_LOCK(@n, 0)", r => r.IsDBNull(0) ? 0 : r.GetInt64(0), ("@n", LockName))[0] != 1)
        {
            if (watch.Elapsed > lockTimeout)
            {
                var holder = Holder();
                Dispose();
                throw new ParleyException($"timed out after {lockTimeout.TotalSeconds:0} s waiting for the migration lock on {Where}, held by {holder}.");
            }
            if (lastSaid is null || watch.Elapsed - lastSaid >= TimeSpan.FromSeconds(5))
            {
                waiting($"waiting for the migration lock on {Where}, held by {Holder()}");
                lastSaid = watch.Elapsed;
            }
            Thread.Sleep(100);
        }
    }

    private string Holder() => Query(
            "SELECT p.ID, p.USER, p.HOST, p.TIME FROM information_schema.PROCESSLIST p WHERE p.ID = IS_USED_LOCK(@n)",
            r => $"connection {r.GetInt64(0)} ({r.GetString(1)} from {r.GetString(2)}, for {r.GetInt64(3)} s)", ("@n", LockName))
        .FirstOrDefault() ?? "another session (it has just let go)";

    public override void Unlock(bool commit)
    {
        try
        {
            if (_conn is not null) Query("SELECT RELEASE_LOCK(@n)", r => 0, ("@n", LockName));
        }
        finally
        {
            Dispose();
        }
    }

    public override IReadOnlyList<SchemaStep> Compile(MigrationOp op, SchemaState before, SchemaState after) => MySqlDialect.Compile(op, after);

    public override IEnumerable<string> Render(SchemaStep step) => step is InstantSqlStep s ? [s.Sql + ", ALGORITHM=INSTANT"] : base.Render(step);

    public override void Execute(SchemaStep step)
    {
        if (step is not InstantSqlStep instant)
        {
            base.Execute(step);
            return;
        }
        try
        {
            Exec(instant.Sql + ", ALGORITHM=INSTANT");
        }
        catch (MySqlException e) when (e.Number is 1845 or 1846) // ER_ALTER_OPERATION_NOT_SUPPORTED(_REASON)
        {
            Exec(instant.Sql);
        }
    }

    public override string TypeName(ColumnDef column) => MySqlDialect.TypeOf(column, _conn is not null && MariaDb);
    public override string? DefaultSql(ColumnDef column) => MySqlDialect.DefaultSql(column);

    public override LiveSchema Introspect()
    {
        var mariaDb = MariaDb;
        var columns = Query(
            "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, DATA_TYPE FROM information_schema.COLUMNS " +
            "WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION",
            r => (Table: r.GetString(0), Name: r.GetString(1), Type: DisplayWidth().Replace(r.GetString(2), ""), NotNull: r.GetString(3) == "NO",
                Default: r.IsDBNull(4) ? null : r.GetString(4), Extra: r.GetString(5), DataType: r.GetString(6)));
        var fks = Query(
            "SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, c.DELETE_RULE " +
            "FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS c " +
            "ON c.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND c.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND c.TABLE_NAME = k.TABLE_NAME " +
            "WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
            r => (Table: r.GetString(0), Name: r.GetString(1), Column: r.GetString(2), RefTable: r.GetString(3), RefColumn: r.GetString(4), Cascade: r.GetString(5) == "CASCADE"))
            .GroupBy(f => (f.Table, f.Name))
            .Select(g => (g.Key.Table, Fk: new LiveForeignKey([.. g.Select(f => f.Column)], g.First().RefTable, [.. g.Select(f => f.RefColumn)], g.First().Cascade)))
            .ToList();
        var tables = columns.GroupBy(c => c.Table).ToDictionary(g => g.Key, g => new LiveTable(g.Key,
            [.. g.Select(c => new LiveColumn(c.Name, c.Type, c.NotNull, LiveDefault(c.Default, c.DataType, c.Extra, mariaDb)))],
            [.. fks.Where(f => f.Table == g.Key).Select(f => f.Fk)]), StringComparer.Ordinal);
        var indexes = Query(
            "SELECT INDEX_NAME, TABLE_NAME, NON_UNIQUE, COLUMN_NAME FROM information_schema.STATISTICS " +
            "WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME <> 'PRIMARY' ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
            r => (Name: r.GetString(0), Table: r.GetString(1), Unique: r.GetInt64(2) == 0, Column: r.GetString(3)))
            .GroupBy(i => (i.Table, i.Name))
            .Select(g => new LiveIndex(g.Key.Name, g.Key.Table, [.. g.Select(i => i.Column)], g.First().Unique, null))
            .ToList();
        var triggers = Query("SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()",
            r => new LiveTrigger(r.GetString(0), r.GetString(1)));
        triggers.AddRange(columns.Where(c => c.Extra.Contains("on update current_timestamp", StringComparison.OrdinalIgnoreCase))
            .Select(c => new LiveTrigger($"trg_{c.Table}_{c.Name}", c.Table)));
        return new LiveSchema(tables, indexes, triggers);
    }

    /// <summary>MariaDB reports a default as SQL (<c>'chat'</c>, <c>NULL</c> for none); MySQL 8 reports the bare value
    /// (<c>chat</c>) and marks expressions <c>DEFAULT_GENERATED</c>. Both become the SQL spelling.</summary>
    private static string? LiveDefault(string? value, string dataType, string extra, bool mariaDb)
    {
        if (value is null || (mariaDb && value == "NULL")) return null;
        // A NOT NULL column given ON UPDATE but no default reports the zero date, which inserts never take.
        if (value.Trim('\'').StartsWith("0000-00-00", StringComparison.Ordinal)) return null;
        if (mariaDb || extra.Contains("DEFAULT_GENERATED", StringComparison.OrdinalIgnoreCase)) return value;
        return dataType is "varchar" or "char" or "text" or "longtext" ? $"'{value.Replace("'", "''", StringComparison.Ordinal)}'" : value;
    }

    [GeneratedRegex(@"(?<=^(bigint|int|smallint|mediumint))\(\d+\)")]
    private static partial Regex DisplayWidth();

    public override void Dispose()
    {
        _conn?.Dispose();
        _conn = null;
    }
}
