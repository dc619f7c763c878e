using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Parley.Bench;

/// <summary>What the same rows cost without Parley: the ceiling (prepared INSERTs, 10,000 per transaction), a naive
/// logger (a new unpooled connection and transaction per message) and EF Core (SaveChanges per message).</summary>
internal static class Baselines
{
    public static TimeSpan RawBatched(string dir, int rows, int perTransaction = 10_000)
    {
        using var raw = new RawWriter(Path.Combine(dir, "raw.db"));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        raw.Write(rows, perTransaction);
        return watch.Elapsed;
    }

    public static TimeSpan NaiveLogger(string dir, int rows)
    {
        var path = Path.Combine(dir, "naive.db");
        using (Workload.BaselineDatabase(path, pooling: false)) { }
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < rows; i++)
        {
            using var conn = new SqliteConnection($"Data Source={path};Pooling=False");
            conn.Open();
            using var cmd = conn.CreateCommand();
            cmd.CommandText = Workload.InsertSql;
            cmd.Parameters.AddWithValue("$id", Ulid.NewUlid().ToString());
            cmd.Parameters.AddWithValue("$session", $"s{i % Workload.Sessions}");
            cmd.Parameters.AddWithValue("$seq", i);
            cmd.Parameters.AddWithValue("$recipient", Workload.Recipient(i));
            cmd.Parameters.AddWithValue("$content", Workload.Content);
            cmd.Parameters.AddWithValue("$at", DateTime.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            cmd.ExecuteNonQuery();
        }
        return watch.Elapsed;
    }

    public static TimeSpan EfCorePerMessage(string dir, int rows)
    {
        var path = Path.Combine(dir, "ef.db");
        using (Workload.BaselineDatabase(path)) { }
        using var db = new BenchContext(path);
        db.Database.OpenConnection();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < rows; i++)
        {
            db.Messages.Add(new MessageEntity
            {
                Id = Ulid.NewUlid().ToString(), SessionId = $"s{i % Workload.Sessions}", SessionSeq = i, Direction = "outbound",
                SenderType = "system", Channel = "sms", Recipient = Workload.Recipient(i), Template = "otp", Content = Workload.Content,
                Status = "pending", CreatedAt = DateTime.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                UpdatedAt = DateTime.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            });
            db.SaveChanges();
            db.ChangeTracker.Clear();
        }
        return watch.Elapsed;
    }
}

/// <summary>The ceiling: one connection, one prepared INSERT, many rows per transaction.</summary>
public sealed class RawWriter : IDisposable
{
    private readonly SqliteConnection _conn;
    private readonly SqliteCommand _cmd;
    private readonly SqliteParameter _id, _session, _seq, _recipient, _content, _at;
    private long _written;

    private readonly bool _ownsConnection;

    public RawWriter(string path) : this(Workload.BaselineDatabase(path)) => _ownsConnection = true;

    /// <summary>Writes into an existing database's parley_messages (the connection stays the caller's).</summary>
    public RawWriter(SqliteConnection conn)
    {
        _conn = conn;
        _cmd = _conn.CreateCommand();
        _cmd.CommandText = Workload.InsertSql;
        _id = _cmd.Parameters.Add("$id", SqliteType.Text);
        _session = _cmd.Parameters.Add("$session", SqliteType.Text);
        _seq = _cmd.Parameters.Add("$seq", SqliteType.Integer);
        _recipient = _cmd.Parameters.Add("$recipient", SqliteType.Text);
        _content = _cmd.Parameters.Add("$content", SqliteType.Text);
        _at = _cmd.Parameters.Add("$at", SqliteType.Text);
        _cmd.Prepare();
    }

    public void Write(int rows, int perTransaction)
    {
        for (var done = 0; done < rows;)
        {
            using var tx = _conn.BeginTransaction();
            _cmd.Transaction = tx;
            for (var i = 0; i < perTransaction && done < rows; i++, done++, _written++)
            {
                _id.Value = Ulid.NewUlid().ToString();
                _session.Value = _ownsConnection ? $"s{_written % Workload.Sessions}" : "s0";
                _seq.Value = _written;
                _recipient.Value = Workload.Recipient(_written);
                _content.Value = Workload.Content;
                _at.Value = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
                _cmd.ExecuteNonQuery();
            }
            tx.Commit();
        }
    }

    public void Dispose()
    {
        _cmd.Dispose();
        if (_ownsConnection) _conn.Dispose();
    }
}

public sealed class MessageEntity
{
    public long RowId { get; set; }
    public string Id { get; set; } = "";
    public string SessionId { get; set; } = "";
    public long SessionSeq { get; set; }
    public string Direction { get; set; } = "";
    public string SenderType { get; set; } = "";
    public string Channel { get; set; } = "";
    public string? Recipient { get; set; }
    public string? Template { get; set; }
    public string Content { get; set; } = "";
    public string Status { get; set; } = "";
    public string CreatedAt { get; set; } = "";
    public string UpdatedAt { get; set; } = "";
}

public sealed class BenchContext(string path) : DbContext
{
    public DbSet<MessageEntity> Messages => Set<MessageEntity>();

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder) => optionsBuilder.UseSqlite($"Data Source={path}");

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var e = modelBuilder.Entity<MessageEntity>().ToTable("parley_messages");
        e.HasKey(m => m.RowId);
        // Parley's columns are the properties' names in snake_case (RowId -> row_id).
        foreach (var property in e.Metadata.GetProperties())
            property.SetColumnName(string.Concat(property.Name.Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString())));
    }
}
