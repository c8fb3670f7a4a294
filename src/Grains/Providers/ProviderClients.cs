using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Refit;

namespace Gateway.Grains.Providers;

/// <summary>One Refit client per provider over a shared, pooled HTTP handler; rebuilt when configuration changes.</summary>
public sealed class ProviderClients : IDisposable
{
    public const string HttpClientName = "gateway-providers";

    private readonly IHttpClientFactory _httpClients;
    private readonly IOptionsMonitor<ProviderCatalogOptions> _options;
    private readonly IDisposable? _subscription;
    private ConcurrentDictionary<string, ProviderClient> _clients = new(StringComparer.OrdinalIgnoreCase);

    public ProviderClients(IHttpClientFactory httpClients, IOptionsMonitor<ProviderCatalogOptions> options)
    {
        _httpClients = httpClients;
        _options = options;
        _subscription = options.OnChange(_ => _clients = new(StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>The client of a provider; throws when the provider is not configured.</summary>
    public ProviderClient Get(string provider) => _clients.GetOrAdd(provider, Create);

    private ProviderClient Create(string provider)
    {
        if (!_options.CurrentValue.TryGet(provider, out var options))
        {
            throw new InvalidOperationException($"Provider '{provider}' is not configured: set Providers:{provider}:BaseUrl.");
        }

        var http = _httpClients.CreateClient(HttpClientName);
        http.BaseAddress = options.BaseUrl;
        http.Timeout = Timeout.InfiniteTimeSpan;
        var api = RestService.For<IOpenAiCompatibleApi>(http);
        var authorization = string.IsNullOrEmpty(options.ApiKey) ? null : "Bearer " + options.ApiKey;
        return new ProviderClient(provider, api, authorization, options.Timeout);
    }

    public void Dispose() => _subscription?.Dispose();
}
