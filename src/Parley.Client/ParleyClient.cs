using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Parley.Client.Internal;

namespace Parley.Client;

/// <summary>A Parley server's HTTP API (docs/http-api.md) as the <see cref="Ledger"/>'s calls: the same names, the same
/// record types and results, so code moves between the embedded ledger and a server. Every call takes a
/// <see cref="CancellationToken"/>, which cancels the HTTP request. An error answer throws a
/// <see cref="ParleyException"/>: <see cref="ParleyNotFoundException"/> (404), <see cref="ParleyConflictException"/>
/// (409), <see cref="ParleyUnavailableException"/> (503, with its <c>Retry-After</c>),
/// <see cref="ParleyBadRequestException"/> (400, with the fields), <see cref="ParleyAccessDeniedException"/> (401, 403),
/// or <see cref="ParleyProblemException"/>; a server that cannot be reached throws <see cref="HttpRequestException"/>.
/// Thread-safe; it does not own its <see cref="HttpClient"/>.</summary>
/// <example><code>
/// var parley = new ParleyClient(new HttpClient(), new ParleyClientOptions { BaseAddress = new Uri("http://127.0.0.1:5080") });
/// var session = (await parley.CreateSessionAsync(new NewSession { Id = "order-1042" })).Session;
/// await parley.LogMessageAsync(session.Id, new NewMessage { SenderType = SenderType.User, Content = "hi" });
/// </code></example>
public sealed partial class ParleyClient
{
    private readonly HttpClient _http;
    private readonly Uri _base;
    private readonly AuthenticationHeaderValue? _authorization;

    /// <summary>A client over <paramref name="httpClient"/>, at <see cref="ParleyClientOptions.BaseAddress"/> or else
    /// the client's own <see cref="HttpClient.BaseAddress"/>, with the options' API key on every request. Throws
    /// <see cref="ArgumentException"/> when neither gives an absolute address.</summary>
    public ParleyClient(HttpClient httpClient, ParleyClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        var address = options?.BaseAddress ?? httpClient.BaseAddress;
        if (address is not { IsAbsoluteUri: true })
            throw new ArgumentException("the Parley server's address is needed: set ParleyClientOptions.BaseAddress (or the HttpClient's BaseAddress) to an absolute URL such as http://127.0.0.1:5080.", nameof(options));
        _http = httpClient;
        // Paths are resolved below the address, so that a server under a prefix (MapParley("/parley")) keeps it.
        _base = address.AbsoluteUri.EndsWith('/') ? address : new Uri(address.AbsoluteUri + "/");
        _authorization = options?.ApiKey is { } key ? new AuthenticationHeaderValue("Bearer", key) : null;
    }

    private ParleyClient(ParleyClient root, string tenant)
    {
        _http = root._http;
        _base = root._base;
        _authorization = root._authorization;
        Tenant = tenant;
    }

    /// <summary>The server's address, ending in <c>/</c>.</summary>
    public Uri BaseAddress => _base;

    /// <summary>The tenant this client is confined to (<see cref="ForTenant"/>), or null.</summary>
    public string? Tenant { get; }

    /// <summary>This client confined to one tenant, as <see cref="Ledger.ForTenant"/> is: every request but the events
    /// stream and the system routes carries <c>tenant=</c>, which an admin key (or a server without keys) needs to
    /// name an id several tenants hold, to list one tenant's sessions and to create in it. A tenant key is confined to
    /// its own tenant whatever this says (docs/http-api.md, "Access").</summary>
    public ParleyClient ForTenant(string tenant)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        return new ParleyClient(this, tenant);
    }

    // A query string carrying this client's tenant, or the one a query names (SessionQuery.Tenant, MessageQuery.Tenant).
    private QueryString Scoped(string? named = null)
    {
        if (Tenant is not null && named is not null && named != Tenant)
            throw new ArgumentException($"tenant '{named}' is not the tenant this client is confined to.", "query");
        return new QueryString().Add("tenant", Tenant ?? named);
    }

    // A path segment for an id: escaped, and never one the URL would resolve away.
    private static string Segment(string id, string name)
    {
        ArgumentNullException.ThrowIfNull(id, name);
        if (id is "" or "." or "..")
            throw new ArgumentException($"'{id}' is not a Parley id (1–64 characters of [A-Za-z0-9._:-], not . or ..).", name);
        return Uri.EscapeDataString(id);
    }

    // The routes of one session or one message, with the id escaped.
    private static string SessionRoute(string id, string name, string tail = "") => "api/v1/sessions/" + Segment(id, name) + tail;

    private static string MessageRoute(string id, string name, string tail = "") => "api/v1/messages/" + Segment(id, name) + tail;

    private static ByteArrayContent Body<T>(T value, JsonTypeInfo<T> type) => Body(JsonSerializer.SerializeToUtf8Bytes(value, type));

    private static ByteArrayContent Body(byte[] json)
    {
        var content = new ByteArrayContent(json);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, QueryString? query, HttpContent? content,
        CancellationToken cancellationToken, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead, string accept = "application/json")
    {
        using var request = new HttpRequestMessage(method, new Uri(_base, path + query));
        request.Content = content;
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        if (_authorization is not null) request.Headers.Authorization = _authorization;
        return await _http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends, and reads a success's body; an error answer throws its exception.</summary>
    private async Task<(T Body, HttpStatusCode Status)> CallAsync<T>(HttpMethod method, string path, QueryString? query, HttpContent? content,
        JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(method, path, query, content, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw await ProblemBody.ReadAsync(response, cancellationToken).ConfigureAwait(false);
        return (await ReadAsync(response, type, cancellationToken).ConfigureAwait(false), response.StatusCode);
    }

    /// <summary>Posts <paramref name="value"/> as JSON, in this client's tenant, and reads the answer.</summary>
    private Task<(TOut Body, HttpStatusCode Status)> PostAsync<TIn, TOut>(string path, TIn value, JsonTypeInfo<TIn> body, JsonTypeInfo<TOut> answer,
        CancellationToken cancellationToken) =>
        CallAsync(HttpMethod.Post, path, Scoped(), Body(value, body), answer, cancellationToken);

    /// <summary>As <see cref="CallAsync"/>, but a 404 from Parley is null (the reads that answer null for an unknown id).</summary>
    private async Task<T?> FindAsync<T>(string path, QueryString? query, JsonTypeInfo<T> type, CancellationToken cancellationToken) where T : class
    {
        using var response = await SendAsync(HttpMethod.Get, path, query, null, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound && ProblemBody.IsJson(response)) return null;
        if (!response.IsSuccessStatusCode) throw await ProblemBody.ReadAsync(response, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, type, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
            return await JsonSerializer.DeserializeAsync(stream, type, cancellationToken).ConfigureAwait(false)
                   ?? throw new JsonException($"the answer to {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath} is null, not a JSON object.");
    }
}
