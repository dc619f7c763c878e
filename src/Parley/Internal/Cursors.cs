using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Parley.Internal;

/// <summary>Opaque cursors: a kind letter and a position, base64url-encoded so clients do not build them.</summary>
internal static class Cursors
{
    public static string Encode(char kind, long position) =>
        Base64Url.EncodeToString(Encoding.ASCII.GetBytes($"{kind}{position.ToString(CultureInfo.InvariantCulture)}"));

    public static long? Decode(string? cursor, char kind)
    {
        if (string.IsNullOrEmpty(cursor)) return null;
        try
        {
            var text = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(cursor));
            if (text.Length > 1 && text[0] == kind &&
                long.TryParse(text.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var position))
                return position;
        }
        catch (FormatException)
        {
        }
        throw new ArgumentException("cursor is not one this list gave out; start again without it.", "cursor");
    }
}
