namespace Parley.Client;

/// <summary>Where a <see cref="ParleyClient"/> finds its server and how it identifies itself.</summary>
public sealed class ParleyClientOptions
{
    /// <summary>The server's address: <c>http://127.0.0.1:5080</c> for <c>parley serve</c>, or the prefix an app gave
    /// <c>MapParley</c>, such as <c>https://app.example/parley</c>. When null, the <see cref="HttpClient"/>'s own
    /// <see cref="HttpClient.BaseAddress"/>.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>The API key (<c>parley keys create</c>), sent as <c>Authorization: Bearer</c> on every request; null for
    /// a server without keys, or when the <see cref="HttpClient"/> authenticates by itself.</summary>
    public string? ApiKey { get; set; }
}
