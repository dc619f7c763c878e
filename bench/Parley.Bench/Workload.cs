using Microsoft.Data.Sqlite;
using Parley.Internal.Schema;
using Parley.Internal.Sqlite;

namespace Parley.Bench;

/// <summary>The row every scenario writes: a bulk-send message of ~280 bytes, the same for Parley and the
/// baselines, into a table with Parley's own message columns and indexes.</summary>
internal static class Workload
{
    public const int Sessions = 16;
    public static readonly string Content = new string('x', 200) + " Your verification code is 481516. It expires in 10 minutes. Reply STOP to opt out.";

    /// <summary>Recipients as a bulk send has them: distinct numbers in no particular order, the same stream for
    /// Parley and every baseline (index scatter is most of an insert's cost).</summary>
    public static string Recipient(long i) => $"+1{(i * 2_654_435_761L) % 9_000_000_000L + 1_000_000_000L}";

    public static NewMessage Message(long i) => new()
    {
        SenderType = SenderType.System,
        Channel = "sms",
        Recipient = Recipient(i),
        Template = "otp",
        Content = Content,
    };

    public static string NewDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "parley-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>A bare database holding only parley_messages, created from Parley's declared schema, for the baselines.</summary>
    public static SqliteConnection BaselineDatabase(string path, bool pooling = true)
    {
        var conn = new SqliteConnection($"Data Source={path};Pooling={pooling}");
        conn.Open();
        Exec(conn, "PRAGMA journal_mode = WAL");
        Exec(conn, "PRAGMA synchronous = FULL");
        Exec(conn, "PRAGMA cache_size = -65536"); // the writer's page cache, as Parley configures its own
        // The baseline has no sessions table, so the table is declared without its foreign key.
        var declared = SchemaState.At(ParleySchema.Migrations, ParleySchema.Head);
        Exec(conn, SqliteDialect.CreateTableSql(declared.Table("parley_messages") with { ForeignKeys = [] }));
        foreach (var index in declared.IndexesOf("parley_messages")) Exec(conn, SqliteDialect.CreateIndexSql(index));
        return conn;
    }

    public const string InsertSql =
        "INSERT INTO parley_messages (id, session_id, session_seq, direction, sender_type, channel, recipient, template, content, status, created_at, updated_at) " +
        "VALUES ($id, $session, $seq, 'outbound', 'system', 'sms', $recipient, 'otp', $content, 'pending', $at, $at)";

    public static void Exec(SqliteConnection conn, string sql)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
