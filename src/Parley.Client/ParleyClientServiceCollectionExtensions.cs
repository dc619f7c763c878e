using Microsoft.Extensions.Options;
using Parley.Client;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="ParleyClient"/> as a typed client of <see cref="System.Net.Http.IHttpClientFactory"/>.</summary>
public static class ParleyClientServiceCollectionExtensions
{
    /// <summary>The name of the <see cref="HttpClient"/> the client uses, for <c>IHttpClientFactory</c>'s own
    /// configuration.</summary>
    public const string HttpClientName = "Parley.Client";

    /// <summary>Registers <see cref="ParleyClient"/> for the server at <paramref name="baseUrl"/>, sending
    /// <paramref name="key"/> (null: none) as <c>Authorization: Bearer</c>. Returns the HTTP client's builder, for
    /// handlers, resilience and timeouts.</summary>
    public static IHttpClientBuilder AddParleyClient(this IServiceCollection services, Uri baseUrl, string? key)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        return services.AddParleyClient(o =>
        {
            o.BaseAddress = baseUrl;
            o.ApiKey = key;
        });
    }

    /// <summary>Registers <see cref="ParleyClient"/> with the options <paramref name="configure"/> sets.</summary>
    public static IHttpClientBuilder AddParleyClient(this IServiceCollection services, Action<ParleyClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<ParleyClientOptions>().Configure(configure);
        return services.AddHttpClient(HttpClientName)
            .AddTypedClient((http, provider) => new ParleyClient(http, provider.GetRequiredService<IOptions<ParleyClientOptions>>().Value));
    }
}
