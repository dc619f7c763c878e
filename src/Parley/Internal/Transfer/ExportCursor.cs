using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Parley.Internal.Transfer;

/// <summary>Where an incremental export starts (docs/transfer.md, "Incremental exports"): the highest message
/// <c>row_id</c> and event <c>id</c> the previous export's snapshot held, and the latest session <c>updated_at</c> it
/// saw. Messages past the first, messages with events past the second and sessions updated at or after the third are
/// exported again; an import takes what it already holds as unchanged, so the overlap costs nothing.</summary>
internal readonly record struct ExportCursor(long MessageRow, long EventId, DateTimeOffset SessionsFrom)
{
    public string Encode() => Base64Url.EncodeToString(Encoding.ASCII.GetBytes(
        string.Create(CultureInfo.InvariantCulture, $"x{MessageRow}.{EventId}.{SessionsFrom.ToUnixTimeMilliseconds()}")));

    public static ExportCursor Decode(string cursor)
    {
        try
        {
            var parts = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(cursor)).Split('.');
            if (parts.Length == 3 && parts[0].StartsWith('x') &&
                long.TryParse(parts[0].AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var m) &&
                long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var e) &&
                long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var s))
                return new ExportCursor(m, e, DateTimeOffset.FromUnixTimeMilliseconds(s));
        }
        catch (Exception e) when (e is FormatException or ArgumentOutOfRangeException)
        {
        }
        throw new ArgumentException("the cursor is not one an NDJSON export's trailer gave out (next_cursor); export without --after.", "after");
    }
}
