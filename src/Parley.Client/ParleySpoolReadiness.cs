namespace Parley.Client;

/// <summary>The server's spool as <c>/health/ready</c> shows it: writes that wait for the database.</summary>
/// <param name="Path">The spool file; null unless the caller may see it (an admin key, or a server without keys).</param>
/// <param name="Pending">Writes waiting.</param>
/// <param name="Bytes">Bytes waiting.</param>
/// <param name="MaxBytes">The spool's size limit.</param>
public sealed record ParleySpoolReadiness(string? Path, long Pending, long Bytes, long MaxBytes);
