using System.Text;
using Parley.Internal.Spool;

namespace Parley.Tests;

/// <summary>The spool's file format on real files: records survive reopening, the position moves only when told,
/// a torn or corrupt tail is cut off without losing the records before it, a full spool keeps nothing, and one
/// process at a time holds a spool.</summary>
public sealed class SpoolFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("parley-spool-").FullName;
    private string PathOf(string name = "test.spool") => Path.Combine(_dir, name);

    private static byte[] Record(int i) => Encoding.UTF8.GetBytes($"{{\"n\":{i},\"pad\":\"{new string('x', i % 7)}\"}}");

    private static List<string> Pending(SpoolFile spool) =>
        [.. spool.ReadPending(int.MaxValue, long.MaxValue).Select(r => Encoding.UTF8.GetString(r.Payload))];

    [Fact]
    public void records_survive_reopening_and_replay_moves_the_position()
    {
        using (var spool = SpoolFile.Open(PathOf(), 1 << 20))
        {
            spool.Append([Record(1), Record(2)]);
            spool.Append([Record(3)]);
            Assert.Equal(3, spool.Pending);
        }
        using (var spool = SpoolFile.Open(PathOf(), 1 << 20))
        {
            Assert.Equal(3, spool.Pending);
            var records = spool.ReadPending(2, long.MaxValue);
            Assert.Equal(["{\"n\":1,\"pad\":\"x\"}", "{\"n\":2,\"pad\":\"xx\"}"], records.Select(r => Encoding.UTF8.GetString(r.Payload)));
            spool.MarkReplayed(records[^1].End, 2);
        }
        using (var spool = SpoolFile.Open(PathOf(), 1 << 20))
        {
            Assert.Equal(1, spool.Pending);
            Assert.Equal(["{\"n\":3,\"pad\":\"xxx\"}"], Pending(spool));
            spool.MarkReplayed(spool.ReadPending(1, long.MaxValue)[0].End, 1);
            Assert.Equal(0, spool.Pending);
            Assert.Equal(0, spool.PendingBytes);
        }
        // An empty spool is removed when closed.
        Assert.False(File.Exists(PathOf()));
    }

    [Theory]
    [InlineData("half a frame")]
    [InlineData("half a payload")]
    [InlineData("bad checksum")]
    public void a_torn_last_record_is_cut_off_and_the_records_before_it_kept(string damage)
    {
        using (var spool = SpoolFile.Open(PathOf(), 1 << 20)) spool.Append([Record(1), Record(2), Record(3)]);
        var good = new FileInfo(PathOf()).Length;
        using (var file = new FileStream(PathOf(), FileMode.Open, FileAccess.ReadWrite))
        {
            switch (damage)
            {
                case "half a frame":
                    file.Seek(0, SeekOrigin.End);
                    file.Write([40, 0, 0]);
                    break;
                case "half a payload":
                    file.Seek(0, SeekOrigin.End);
                    file.Write([40, 0, 0, 0, 1, 2, 3, 4, (byte)'{', (byte)'"']);
                    break;
                default:
                    // The last record's last byte flipped: its checksum no longer matches.
                    file.Seek(-1, SeekOrigin.End);
                    var b = file.ReadByte();
                    file.Seek(-1, SeekOrigin.End);
                    file.WriteByte((byte)(b ^ 0xFF));
                    break;
            }
        }
        using (var spool = SpoolFile.Open(PathOf(), 1 << 20))
        {
            var expected = damage == "bad checksum" ? 2 : 3;
            Assert.Equal(expected, spool.Pending);
            Assert.NotNull(spool.DroppedTail);
            Assert.Equal(expected == 3 ? good : good - 8 - Record(3).Length, spool.DroppedTail!.Value.Offset);
            Assert.Equal(spool.DroppedTail.Value.Bytes, new FileInfo(PathOf() + ".torn").Length);
            FilePermissionTests.AssertOwnerOnly(PathOf() + ".torn");
            Assert.Equal([.. Enumerable.Range(1, expected).Select(i => Encoding.UTF8.GetString(Record(i)))], Pending(spool));
            // Appending after the cut works and reads back.
            spool.Append([Record(9)]);
        }
        using (var spool = SpoolFile.Open(PathOf(), 1 << 20))
        {
            Assert.Null(spool.DroppedTail);
            Assert.Equal(Encoding.UTF8.GetString(Record(9)), Pending(spool)[^1]);
        }
    }

    [Fact]
    public void a_full_spool_refuses_the_write_and_keeps_none_of_it()
    {
        using var spool = SpoolFile.Open(PathOf(), 200);
        spool.Append([Record(1), Record(2)]);
        var before = new FileInfo(PathOf()).Length;
        var full = Assert.Throws<SpoolFullException>(() => spool.Append([Record(3), new byte[150]]));
        Assert.Contains("full", full.Message, StringComparison.Ordinal);
        Assert.Equal(2, spool.Pending);
        Assert.Equal(before, new FileInfo(PathOf()).Length);
    }

    [Fact]
    public void a_spool_is_held_by_one_opener_at_a_time()
    {
        using var first = SpoolFile.Open(PathOf(), 1 << 20);
        var error = Assert.Throws<ParleyException>(() => SpoolFile.Open(PathOf(), 1 << 20));
        Assert.Contains("another Parley process", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void a_file_that_is_not_a_spool_is_refused_untouched()
    {
        File.WriteAllText(PathOf(), "hello, not a spool");
        var error = Assert.Throws<ParleyException>(() => SpoolFile.Open(PathOf(), 1 << 20));
        Assert.Contains("not a Parley spool", error.Message, StringComparison.Ordinal);
        Assert.Equal("hello, not a spool", File.ReadAllText(PathOf()));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
