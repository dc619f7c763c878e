using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Parley.Internal.Kernel;
using Parley.Internal.Schema;

namespace Parley.Internal.Transfer;

/// <summary>What a backup holds: the schema version its rows follow, and per table the row count and a content
/// checksum that does not depend on the engine (times as UTC text, flags as 0/1, JSON with sorted keys).</summary>
internal sealed record BackupSummary(int SchemaVersion, IReadOnlyDictionary<string, (long Rows, string Checksum)> Tables);

/// <summary>Parley's engine-neutral backup: NDJSON, one header line (format, schema version, tables), one line per
/// row (<c>{"t":table,"v":[values in declared column order]}</c>), and a closing line with each table's row count
/// and checksum. Written from one read snapshot, so it is consistent while writes continue; restored into an empty
/// database of any engine, then checked row for row against those checksums.</summary>
internal static class Backup
{
    public const string Format = "parley-backup/1";

    /// <summary>The data tables, parents first (the order rows are restored in).</summary>
    public static readonly string[] Tables =
        ["parley_sessions", "parley_session_facets", "parley_messages", "parley_message_events", "parley_parked_reports", "parley_system_events", "parley_api_keys"];

    private static IReadOnlyList<ColumnDef> Columns(SchemaState state, string table) => state.Table(table).Columns;

    private static string KeyOf(TableDef t) => string.Join(", ", t.PrimaryKey);

    /// <summary>Every row of every table at <paramref name="version"/>, read in one snapshot (or, with
    /// <paramref name="inTransaction"/>, in the transaction the connection is in).</summary>
    public static IEnumerable<(string Table, object?[] Values)> Read(DbConnection conn, SqlFlavor flavor, int version, bool inTransaction = false)
    {
        var state = SchemaState.At(ParleySchema.Migrations, version);
        if (!inTransaction) Exec(conn, flavor.BeginSnapshot);
        try
        {
            foreach (var table in Tables.Where(state.HasTable))
            {
                var columns = Columns(state, table);
                using var cmd = conn.CreateCommand();
                cmd.CommandText = $"SELECT {string.Join(", ", columns.Select(c => c.Name))} FROM {table} ORDER BY {KeyOf(state.Table(table))}";
                cmd.CommandTimeout = 0;
                using var r = cmd.ExecuteReader();
                while (r.Read())
                {
                    var values = new object?[columns.Count];
                    for (var i = 0; i < columns.Count; i++) values[i] = r.IsDBNull(i) ? null : ReadValue(r, i, columns[i].Type);
                    yield return (table, values);
                }
            }
        }
        finally
        {
            if (!inTransaction) Exec(conn, "COMMIT");
        }
    }

    private static object ReadValue(DbDataReader r, int i, ColumnType type) => type switch
    {
        ColumnType.Timestamp => RowReaders.TimeAt(r, i),
        ColumnType.Boolean => RowReaders.Flag(r, i),
        ColumnType.Serial or ColumnType.Integer => RowReaders.Long(r, i),
        ColumnType.Json => new JsonText(r.GetString(i)),
        _ => r.GetString(i),
    };

    /// <summary>Writes rows as NDJSON and returns what was written.</summary>
    public static BackupSummary Write(Stream output, int version, IEnumerable<(string Table, object?[] Values)> rows)
    {
        var sums = new Checksums(version);
        using var writer = new StreamWriter(output, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
        writer.WriteLine(new JsonObject { ["format"] = Format, ["schema_version"] = version, ["tables"] = new JsonArray([.. Tables.Select(t => (JsonNode)t)]) }.ToJsonString());
        foreach (var (table, values) in rows)
        {
            sums.Add(table, values);
            writer.WriteLine(new JsonObject { ["t"] = table, ["v"] = new JsonArray([.. values.Select(ToJson)]) }.ToJsonString());
        }
        var summary = sums.Summary();
        writer.WriteLine(new JsonObject
        {
            ["end"] = true,
            ["tables"] = new JsonObject(summary.Tables.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)new JsonObject { ["rows"] = kv.Value.Rows, ["sha256"] = kv.Value.Checksum }))),
        }.ToJsonString());
        return summary;
    }

    private static JsonNode? ToJson(object? value) => value switch
    {
        null => null,
        DateTimeOffset t => Timestamps.ToText(t),
        bool b => b,
        long n => n,
        JsonText j => j.Value,
        string s => s,
        _ => throw new InvalidOperationException(value.GetType().Name),
    };

    /// <summary>Reads an NDJSON backup: its schema version, its rows, and (after the rows) what its closing line says.
    /// Every problem with the file is an <see cref="ArgumentException"/> that starts with <paramref name="name"/>.</summary>
    public static (int Version, IEnumerable<(string Table, object?[] Values)> Rows, Func<BackupSummary> Expected) Open(TextReader input, string name)
    {
        ArgumentException Bad(string what, Exception? inner = null) => new($"{name}: {what}", "file", inner);
        JsonObject? Line(string? text, int lineNo)
        {
            try
            {
                return text is null ? null : JsonNode.Parse(text) as JsonObject ?? throw Bad($"line {lineNo} of the backup is not a JSON object.");
            }
            catch (JsonException e)
            {
                throw Bad(lineNo == 1 ? $"not a Parley backup (the first line is not JSON: {e.Message})" : $"line {lineNo} of the backup is not JSON ({e.Message}); the file is damaged.", e);
            }
        }
        var header = Line(input.ReadLine(), 1) ?? throw Bad("the backup file is empty.");
        if ((string?)header["format"] != Format || header["schema_version"] is not JsonValue v || !v.TryGetValue<int>(out var version) || version < 1)
            throw Bad($"not a Parley backup (expected format {Format} and a schema version on the first line).");
        var state = SchemaState.At(ParleySchema.Migrations, Math.Min(version, ParleySchema.Head));
        BackupSummary? expected = null;
        IEnumerable<(string, object?[])> Rows()
        {
            var lineNo = 1;
            while (input.ReadLine() is { } text)
            {
                lineNo++;
                var node = Line(text, lineNo)!;
                (string, object?[]) row;
                try
                {
                    if (node["end"] is not null)
                    {
                        var tables = (JsonObject)node["tables"]!;
                        expected = new BackupSummary(version, tables.ToDictionary(kv => kv.Key, kv => ((long)kv.Value!["rows"]!, (string)kv.Value!["sha256"]!)));
                        yield break;
                    }
                    var table = (string?)node["t"] ?? throw Bad($"line {lineNo} of the backup names no table.");
                    if (!Tables.Contains(table) || !state.HasTable(table)) throw Bad($"line {lineNo} of the backup names an unknown table {table}.");
                    var columns = Columns(state, table);
                    var raw = node["v"] as JsonArray ?? throw Bad($"line {lineNo} of the backup has no values.");
                    if (raw.Count != columns.Count) throw Bad($"line {lineNo}: {table} has {columns.Count} columns, the line {raw.Count} values.");
                    row = (table, [.. raw.Select((v, i) => FromJson(v, columns[i].Type))]);
                }
                catch (Exception e) when (e is InvalidOperationException or InvalidCastException or FormatException or NullReferenceException or OverflowException)
                {
                    throw Bad($"line {lineNo} of the backup holds a value of the wrong kind ({e.Message}); the file is damaged.", e);
                }
                yield return row;
            }
            throw Bad("the backup ends without its closing line: it is incomplete.");
        }
        return (version, Rows(), () => expected ?? throw Bad("the backup ends without its closing line: it is incomplete."));
    }

    /// <summary>Reads a whole NDJSON backup and checks every table's row count and checksum against its closing line,
    /// before anything is restored; returns its schema version.</summary>
    public static int Verify(TextReader input, string name)
    {
        var (version, rows, expected) = Open(input, name);
        var sums = new Checksums(version);
        foreach (var (table, values) in rows) sums.Add(table, values);
        var got = sums.Summary();
        var wrong = expected().Tables.Where(t => !got.Tables.TryGetValue(t.Key, out var have) || have != t.Value).Select(t => t.Key).ToList();
        if (wrong.Count > 0)
            throw new ArgumentException($"{name}: the rows of {string.Join(", ", wrong)} do not match the counts and checksums in the backup's closing line; the file is damaged.", "file");
        return version;
    }

    private static object? FromJson(JsonNode? v, ColumnType type) => v is null ? null : type switch
    {
        ColumnType.Timestamp => Timestamps.Parse((string)v!),
        ColumnType.Boolean => (bool)v,
        ColumnType.Serial or ColumnType.Integer => (long)v,
        ColumnType.Json => new JsonText((string)v!),
        _ => (string)v!,
    };

    /// <summary>Inserts rows, keeping their ids, in one transaction, 200 to a round trip where the driver batches;
    /// <paramref name="beforeCommit"/> runs in that transaction with what was inserted, and may throw to roll it all back.</summary>
    public static BackupSummary Insert(DbConnection conn, SqlFlavor flavor, int version, IEnumerable<(string Table, object?[] Values)> rows, Action<BackupSummary> beforeCommit)
    {
        var state = SchemaState.At(ParleySchema.Migrations, version);
        var sums = new Checksums(version);
        Exec(conn, flavor.BeginWrite);
        try
        {
            DbBatch? batch = null;
            void Send()
            {
                if (batch is null) return;
                batch.ExecuteNonQuery();
                batch.Dispose();
                batch = null;
            }
            foreach (var (table, values) in rows)
            {
                sums.Add(table, values);
                var columns = Columns(state, table);
                var sql = $"INSERT INTO {table} ({string.Join(", ", columns.Select(c => c.Name))}) VALUES ({string.Join(", ", columns.Select((_, i) => "@p" + i.ToString(CultureInfo.InvariantCulture)))})";
                if (conn.CanCreateBatch)
                {
                    batch ??= conn.CreateBatch();
                    var bc = batch.CreateBatchCommand();
                    bc.CommandText = sql;
                    flavor.AddPositional(bc.Parameters, bc.CreateParameter, values);
                    batch.BatchCommands.Add(bc);
                    if (batch.BatchCommands.Count >= 200) Send();
                }
                else
                {
                    using var cmd = conn.CreateCommand();
                    cmd.CommandText = sql;
                    flavor.AddPositional(cmd.Parameters, cmd.CreateParameter, values);
                    cmd.ExecuteNonQuery();
                }
            }
            Send();
            var summary = sums.Summary();
            beforeCommit(summary);
            Exec(conn, "COMMIT");
            return summary;
        }
        catch
        {
            Exec(conn, "ROLLBACK");
            throw;
        }
    }

    /// <summary>Reads a database back and sums it, to compare with what a backup says it holds.</summary>
    public static BackupSummary Sum(DbConnection conn, SqlFlavor flavor, int version, bool inTransaction = false)
    {
        var sums = new Checksums(version);
        foreach (var (table, values) in Read(conn, flavor, version, inTransaction)) sums.Add(table, values);
        return sums.Summary();
    }

    /// <summary>Per-table SHA-256 over each row's canonical text, in key order.</summary>
    private sealed class Checksums(int version)
    {
        private readonly Dictionary<string, (long Rows, IncrementalHash Hash)> _tables = [];

        public void Add(string table, object?[] values)
        {
            if (!_tables.TryGetValue(table, out var t)) t = (0, IncrementalHash.CreateHash(HashAlgorithmName.SHA256));
            var line = string.Join("\u001f", values.Select(Canonical)) + "\n";
            t.Hash.AppendData(Encoding.UTF8.GetBytes(line));
            _tables[table] = (t.Rows + 1, t.Hash);
        }

        public BackupSummary Summary() => new(version, Tables.ToDictionary(t => t, t => _tables.TryGetValue(t, out var v)
            ? (v.Rows, Convert.ToHexStringLower(v.Hash.GetHashAndReset()))
            : (0L, Convert.ToHexStringLower(SHA256.HashData(ReadOnlySpan<byte>.Empty)))));

        private static string Canonical(object? value) => value switch
        {
            null => "\u2400",
            DateTimeOffset t => Timestamps.ToText(t),
            bool b => b ? "1" : "0",
            long n => n.ToString(CultureInfo.InvariantCulture),
            JsonText j => j.Value is null ? "\u2400" : Sorted(JsonNode.Parse(j.Value))?.ToJsonString() ?? "null",
            _ => value.ToString()!,
        };

        // PostgreSQL's jsonb keeps neither key order nor spacing: compare documents with sorted keys.
        private static JsonNode? Sorted(JsonNode? node) => node switch
        {
            JsonObject o => new JsonObject(o.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, Sorted(kv.Value)))),
            JsonArray a => new JsonArray([.. a.Select(Sorted)]),
            null => null,
            _ => JsonNode.Parse(node.ToJsonString()),
        };
    }

    private static void Exec(DbConnection conn, string sql)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
