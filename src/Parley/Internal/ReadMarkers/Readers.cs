namespace Parley.Internal.ReadMarkers;

/// <summary>Which senders each reader reads (docs/lifecycle.md, "Read markers").</summary>
internal static class Readers
{
    public static bool Reads(Reader reader, SenderType sender) =>
        reader == Reader.Agent ? sender == SenderType.User : sender != SenderType.User;

    /// <summary>The reader whose marker counts this sender's messages as unread.</summary>
    public static Reader ReaderOf(SenderType sender) => sender == SenderType.User ? Reader.Agent : Reader.User;
}
