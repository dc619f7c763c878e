using System.Data.Common;

namespace Parley.Internal.Kernel;

/// <summary>A JSON document bound as a parameter, so an engine with a JSON column type can say so.</summary>
internal readonly record struct JsonText(string? Value);

/// <summary>What differs between engines in the SQL that Parley's shared read and write stores run: how values are
/// bound and a handful of spellings. Each engine has one (<c>SqliteFlavor</c>, <c>PostgresFlavor</c>,
/// <c>MySqlFlavor</c>); everything else in <see cref="ReadDatabase"/> and <see cref="AdoWriteStore"/> is common SQL
/// with <c>@name</c> parameters.</summary>
internal abstract class SqlFlavor
{
    /// <summary>Starts the writer's transaction.</summary>
    public abstract string BeginWrite { get; }

    /// <summary>Starts a read-only transaction that sees one snapshot.</summary>
    public abstract string BeginSnapshot { get; }

    /// <summary>Appended to a <c>SELECT</c> of rows the writer is about to change, so that two processes writing to
    /// the same server database apply the lifecycle rules one after the other ("" on SQLite, whose writer holds the
    /// whole database).</summary>
    public abstract string ForUpdate { get; }

    /// <summary>A hint after <c>FROM parley_messages</c> that makes the planner walk the <c>created_at</c> index
    /// (MySQL/MariaDB: <c>FORCE INDEX</c>); empty where the planner needs none.</summary>
    public virtual string ByCreatedIndex => "";

    /// <summary>A column in a condition the planner must not pick an index for (SQLite: <c>+column</c>, which would
    /// otherwise walk the whole session by its index instead of the <c>created_at</c> index).</summary>
    public virtual string NotIndexed(string column) => column;

    /// <summary>A comparison that is true when both sides are NULL.</summary>
    public abstract string NullSafeEquals(string left, string right);

    /// <summary>Adds <c>@p4</c> to a session facet's count, inserting it when missing.</summary>
    public string UpsertFacet => _upsertFacet ??= UpsertFacets(1);
    private string? _upsertFacet;

    /// <summary>Adds to <paramref name="rows"/> facets' counts in one statement, five parameters a row (tenant key,
    /// session id, facet, value, delta: <c>@p0</c> … <c>@p4</c>, then <c>@p5</c> …), inserting those missing.</summary>
    public string UpsertFacets(int rows) =>
        "INSERT INTO parley_session_facets (tenant_key, session_id, facet, value, n) VALUES " + Placeholders(5, rows) + " " + FacetConflict;

    /// <summary><paramref name="rows"/> value rows of <paramref name="width"/> positional parameters each:
    /// <c>(@p0, @p1), (@p2, @p3)</c> … row after row.</summary>
    protected static string Placeholders(int width, int rows) =>
        string.Join(", ", Enumerable.Range(0, rows).Select(r => "(" + string.Join(", ", Enumerable.Range(0, width).Select(c =>
            "@p" + (r * width + c).ToString(System.Globalization.CultureInfo.InvariantCulture))) + ")"));

    /// <summary>What follows the rows of an insert into <c>parley_session_facets</c> so that a row whose facet
    /// exists adds its <c>n</c> to the stored count.</summary>
    protected abstract string FacetConflict { get; }

    /// <summary>An insert of <paramref name="rows"/> rows into a rollup table (docs/analytics.md) where a row whose key
    /// exists adds its <paramref name="sums"/> to the stored ones and keeps the greater <paramref name="max"/>: the key
    /// columns, then the sums, then any max, as <c>@p0</c>, <c>@p1</c> … row after row.</summary>
    public string AddRows(string table, IReadOnlyList<string> keys, IReadOnlyList<string> sums, string? max, int rows)
    {
        var width = keys.Count + sums.Count + (max is null ? 0 : 1);
        var columns = string.Join(", ", [.. keys, .. sums, .. (max is null ? Array.Empty<string>() : [max])]);
        return $"INSERT INTO {table} ({columns}) VALUES " + Placeholders(width, rows) + " " + AddOnConflict(table, string.Join(", ", keys), sums, max);
    }

    /// <summary>What follows the rows of <see cref="AddRows"/>.</summary>
    protected virtual string AddOnConflict(string table, string keys, IReadOnlyList<string> sums, string? max) =>
        $"ON CONFLICT ({keys}) DO UPDATE SET " + string.Join(", ", sums.Select(c => $"{c} = {table}.{c} + excluded.{c}")) +
        (max is null ? "" : $", {max} = {Greatest}({table}.{max}, excluded.{max})");

    /// <summary>The two-argument maximum (SQLite: <c>MAX</c>).</summary>
    protected virtual string Greatest => "GREATEST";

    /// <summary>An insert that does nothing when the key exists.</summary>
    public virtual string InsertOrKeep(string table, string columns, string values, string keys) =>
        $"INSERT INTO {table} ({columns}) VALUES ({values}) ON CONFLICT ({keys}) DO NOTHING";

    /// <summary>Inserts many rows of text and whole numbers into an empty table on <paramref name="conn"/> (the rollups'
    /// rebuild): one prepared statement re-bound per row where statements cost no round trip (SQLite), else multi-row
    /// statements; PostgreSQL takes over with a binary COPY.</summary>
    public virtual void BulkInsert(DbConnection conn, string table, IReadOnlyList<string> columns, IEnumerable<object?[]> rows)
    {
        var width = columns.Count;
        var insert = $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ";
        if (!conn.CanCreateBatch)
        {
            using var one = conn.CreateCommand();
            one.CommandText = insert + Placeholders(width, 1);
            for (var i = 0; i < width; i++)
            {
                var p = one.CreateParameter();
                p.ParameterName = "@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                one.Parameters.Add(p);
            }
            one.Prepare();
            foreach (var row in rows)
            {
                for (var i = 0; i < width; i++) Bind(one.Parameters[i], row[i]);
                one.ExecuteNonQuery();
            }
            return;
        }
        foreach (var chunk in rows.Chunk(Math.Max(1, 2000 / width)))
        {
            using var cmd = conn.CreateCommand();
            cmd.CommandText = insert + Placeholders(width, chunk.Length);
            AddPositional(cmd.Parameters, cmd.CreateParameter, [.. chunk.SelectMany(x => x)]);
            cmd.ExecuteNonQuery();
        }
    }

    /// <summary>Whether commands are prepared explicitly (server engines prepare on their own).</summary>
    public virtual bool PrepareCommands => false;

    /// <summary>Sets a parameter to a value of Parley's (times, flags, JSON) in the engine's representation.</summary>
    public virtual void Bind(DbParameter parameter, object? value) => parameter.Value = value switch
    {
        null => DBNull.Value,
        DateTimeOffset t => Time(t),
        bool b => Flag(b),
        JsonText j => (object?)j.Value ?? DBNull.Value,
        _ => value,
    };

    /// <summary>Adds <c>@p0</c>, <c>@p1</c> … bound to <paramref name="values"/>.</summary>
    public void AddPositional(DbParameterCollection parameters, Func<DbParameter> create, IReadOnlyList<object?> values)
    {
        for (var i = 0; i < values.Count; i++)
        {
            var p = create();
            p.ParameterName = "@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Bind(p, values[i]);
            parameters.Add(p);
        }
    }

    protected abstract object Time(DateTimeOffset value);
    protected abstract object Flag(bool value);
}
