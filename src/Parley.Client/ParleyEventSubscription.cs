using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Parley.Client;

/// <summary>An open <c>GET /api/v1/events</c> stream (<see cref="ParleyClient.SubscribeAsync"/>): every change
/// committed after it opened that the caller may see. It holds a connection until disposed; it ends by itself when
/// the server stops or the key is revoked.</summary>
public sealed class ParleyEventSubscription : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    internal ParleyEventSubscription(HttpResponseMessage response, Stream body)
    {
        _response = response;
        _reader = new StreamReader(body, Encoding.UTF8);
    }

    /// <summary>The events as they arrive, until the server ends the stream or <paramref name="cancellationToken"/> is
    /// cancelled (then <see cref="OperationCanceledException"/>). Read it once: the events are not kept.</summary>
    public async IAsyncEnumerable<ParleyEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? type = null;
        StringBuilder? data = null;
        // Server-Sent Events: "field: value" lines, an empty line ends an event, a line starting with ':' is a comment
        // (": connected", ": keep-alive").
        while (await _reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0)
            {
                if (data is not null)
                {
                    using var json = JsonDocument.Parse(data.ToString());
                    yield return new ParleyEvent(type ?? "message", json.RootElement.Clone());
                }
                (type, data) = (null, null);
                continue;
            }
            if (line[0] == ':') continue;
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..];
            if (value.StartsWith(' ')) value = value[1..];
            if (field == "event") type = value;
            else if (field == "data") (data is null ? data = new StringBuilder() : data.Append('\n')).Append(value);
        }
    }

    /// <summary>Closes the connection.</summary>
    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
