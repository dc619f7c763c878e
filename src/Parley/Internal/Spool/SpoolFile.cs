using System.Buffers.Binary;
using System.IO.Hashing;

namespace Parley.Internal.Spool;

/// <summary>The spool on disk (README, "When the database is unavailable: the spool"): an append-only file of framed
/// records, each <c>[u32 length][u32 CRC-32 of the payload][payload]</c> after a 16-byte header, and beside it a small
/// <c>.pos</c> file holding the offset of the first record not yet replayed (<c>[u64 offset][u32 CRC-32]</c>). An
/// append is one write and one fsync, so a write acknowledged as spooled is on disk. Opening validates every pending
/// record; a torn or corrupt tail (a crash mid-append, which was never acknowledged) is moved to a <c>.torn</c> file
/// and cut off, keeping every record before it. Only one process may hold a spool: the file is opened exclusively. Used
/// by the writer thread only.</summary>
internal sealed class SpoolFile : IDisposable
{
    private static readonly byte[] Header = "PARLEY-SPOOL v1\n"u8.ToArray();
    private const int FrameBytes = 8;
    private const int MaxPayload = 64 * 1024 * 1024;

    private readonly FileStream _file;
    private readonly FileStream _position;
    private long _length;
    private long _replayed;

    private SpoolFile(string path, long maxBytes, FileStream file, FileStream position)
    {
        Path = path;
        MaxBytes = maxBytes;
        _file = file;
        _position = position;
    }

    public string Path { get; }
    public long MaxBytes { get; }

    /// <summary>Records appended and not yet replayed.</summary>
    public int Pending { get; private set; }

    /// <summary>Bytes of records not yet replayed.</summary>
    public long PendingBytes => _length - _replayed;

    /// <summary>What opening cut off: the offset and length of a torn or corrupt tail, or null.</summary>
    public (long Offset, long Bytes)? DroppedTail { get; private set; }

    public static SpoolFile Open(string path, long maxBytes)
    {
        var full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        FileStream file;
        try
        {
            file = new FileStream(full, PrivateFile.Options(FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1));
        }
        catch (IOException e)
        {
            throw new ParleyException($"the spool '{full}' cannot be opened ({e.Message}); another Parley process may hold it — give each process its own spool path.", e);
        }
        FileStream? position = null;
        try
        {
            position = new FileStream(full + ".pos", PrivateFile.Options(FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1));
            var spool = new SpoolFile(full, maxBytes, file, position);
            spool.Load();
            return spool;
        }
        catch
        {
            position?.Dispose();
            file.Dispose();
            throw;
        }
    }

    private void Load()
    {
        if (_file.Length == 0)
        {
            _file.Write(Header);
            _file.Flush(flushToDisk: true);
        }
        var head = new byte[Header.Length];
        if (RandomAccess.Read(_file.SafeFileHandle, head, 0) != Header.Length || !head.AsSpan().SequenceEqual(Header))
            throw new ParleyException($"'{Path}' is not a Parley spool (its header is wrong); move it aside to start a new one.");

        _replayed = ReadPosition();
        var end = _replayed;
        var count = 0;
        while (TryReadFrame(end, out var length) && Valid(end, length))
        {
            end += FrameBytes + length;
            count++;
        }
        if (end < _file.Length)
        {
            // A crash mid-append leaves a partial record; it was never acknowledged. Keep its bytes for inspection.
            DroppedTail = (end, _file.Length - end);
            var tail = new byte[_file.Length - end];
            RandomAccess.Read(_file.SafeFileHandle, tail, end);
            using (var torn = new FileStream(Path + ".torn", PrivateFile.Options(FileMode.Append, FileAccess.Write, FileShare.Read))) torn.Write(tail);
            _file.SetLength(end);
            _file.Flush(flushToDisk: true);
        }
        _length = end;
        Pending = count;
    }

    private long ReadPosition()
    {
        Span<byte> buffer = stackalloc byte[12];
        if (RandomAccess.Read(_position.SafeFileHandle, buffer, 0) == 12 &&
            BinaryPrimitives.ReadUInt32LittleEndian(buffer[8..]) == Crc32.HashToUInt32(buffer[..8]))
        {
            var offset = BinaryPrimitives.ReadInt64LittleEndian(buffer);
            if (offset >= Header.Length && offset <= _file.Length) return offset;
        }
        // No position yet, or a damaged one: replay from the start (replay is idempotent).
        return Header.Length;
    }

    private bool TryReadFrame(long offset, out int length)
    {
        length = 0;
        Span<byte> frame = stackalloc byte[FrameBytes];
        if (RandomAccess.Read(_file.SafeFileHandle, frame, offset) != FrameBytes) return false;
        length = BinaryPrimitives.ReadInt32LittleEndian(frame);
        return length is > 0 and <= MaxPayload && offset + FrameBytes + length <= _file.Length;
    }

    private bool Valid(long offset, int length)
    {
        var record = new byte[FrameBytes + length];
        RandomAccess.Read(_file.SafeFileHandle, record, offset);
        return BinaryPrimitives.ReadUInt32LittleEndian(record.AsSpan(4)) == Crc32.HashToUInt32(record.AsSpan(FrameBytes));
    }

    /// <summary>Appends the records with one write and one fsync. Throws <see cref="SpoolFullException"/> when they
    /// would pass <see cref="MaxBytes"/>, or the <see cref="IOException"/> of a failed write (disk full), after
    /// cutting off whatever part of them reached the file: either all of them are spooled or none.</summary>
    public void Append(IReadOnlyList<byte[]> payloads)
    {
        long total = 0;
        foreach (var p in payloads) total += FrameBytes + p.Length;
        if (_length + total > MaxBytes)
            throw new SpoolFullException($"the spool '{Path}' is full ({_length:N0} of {MaxBytes:N0} bytes; {Pending:N0} writes wait for the database).");
        var buffer = new byte[total];
        var at = 0;
        foreach (var p in payloads)
        {
            BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(at), p.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(at + 4), Crc32.HashToUInt32(p));
            p.CopyTo(buffer, at + FrameBytes);
            at += FrameBytes + p.Length;
        }
        try
        {
            RandomAccess.Write(_file.SafeFileHandle, buffer, _length);
            _file.Flush(flushToDisk: true);
        }
        catch (IOException)
        {
            try
            {
                _file.SetLength(_length);
            }
            catch (IOException)
            {
                // The next open finds the partial record by its checksum and cuts it off.
            }
            throw;
        }
        _length += total;
        Pending += payloads.Count;
    }

    /// <summary>The oldest pending records, up to <paramref name="maxRecords"/> (at least one), each with the offset
    /// just past it for <see cref="MarkReplayed"/>.</summary>
    public List<(byte[] Payload, long End)> ReadPending(int maxRecords, long maxBytes)
    {
        var result = new List<(byte[], long)>();
        var offset = _replayed;
        long bytes = 0;
        Span<byte> frame = stackalloc byte[FrameBytes];
        while (offset < _length && result.Count < maxRecords && (result.Count == 0 || bytes < maxBytes))
        {
            RandomAccess.Read(_file.SafeFileHandle, frame, offset);
            var payload = new byte[BinaryPrimitives.ReadInt32LittleEndian(frame)];
            RandomAccess.Read(_file.SafeFileHandle, payload, offset + FrameBytes);
            offset += FrameBytes + payload.Length;
            bytes += payload.Length;
            result.Add((payload, offset));
        }
        return result;
    }

    /// <summary>Records that everything before <paramref name="end"/> (<paramref name="records"/> records) is in the
    /// database. When nothing is left the file is cut back to its header.</summary>
    public void MarkReplayed(long end, int records)
    {
        Pending -= records;
        if (end >= _length)
        {
            _file.SetLength(Header.Length);
            _file.Flush(flushToDisk: true);
            _length = Header.Length;
            Pending = 0;
            end = Header.Length;
        }
        _replayed = end;
        Span<byte> buffer = stackalloc byte[12];
        BinaryPrimitives.WriteInt64LittleEndian(buffer, end);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[8..], Crc32.HashToUInt32(buffer[..8]));
        RandomAccess.Write(_position.SafeFileHandle, buffer, 0);
        _position.Flush(flushToDisk: true);
    }

    /// <summary>Closes the spool; an empty one is removed (while still held, so no other process sees it half-gone).</summary>
    public void Dispose()
    {
        if (Pending == 0 && _length == Header.Length)
        {
            File.Delete(Path + ".pos");
            File.Delete(Path);
        }
        _position.Dispose();
        _file.Dispose();
    }
}
