using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using Microsoft.Extensions.Options;
using Refit;

namespace Gateway.Grains.Providers;

/// <summary>
/// One Refit client per provider, each over its own pooled connection handler (so each has its own connect timeout) that
/// carries the trace context to the provider (<see cref="TraceContextHandler"/>); rebuilt when the configuration changes.
/// </summary>
public sealed class ProviderClients : IDisposable
{
    private readonly IOptionsMonitor<ProviderCatalogOptions> _options;
    private readonly IDisposable? _subscription;
    private ConcurrentDictionary<string, ProviderClient?> _clients = new(StringComparer.OrdinalIgnoreCase);

    public ProviderClients(IOptionsMonitor<ProviderCatalogOptions> options)
    {
        _options = options;
        _subscription = options.OnChange(_ => _clients = new(StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>The client of a provider; false when the provider is not configured.</summary>
    public bool TryGet(string provider, [NotNullWhen(true)] out ProviderClient? client)
    {
        client = _clients.GetOrAdd(provider, Create);
        return client is not null;
    }

    private ProviderClient? Create(string provider)
    {
        if (!_options.CurrentValue.TryGet(provider, out var options))
        {
            return null;
        }

        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = options.ConnectTimeout,

            // Pooled connections are recycled so that a provider's DNS changes are picked up.
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            MaxConnectionsPerServer = int.MaxValue,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,

            // The trace context is written by TraceContextHandler, without a span of the HTTP client's own.
            ActivityHeadersPropagator = null,
        };

        // Timeouts are the caller's (first byte, idle, total), driven by the gateway's clock.
        var http = new HttpClient(new TraceContextHandler(handler)) { BaseAddress = options.BaseUrl, Timeout = Timeout.InfiniteTimeSpan };
        var key = string.IsNullOrEmpty(options.ApiKey) ? null : options.ApiKey;
        var kind = ProviderCatalogOptions.KindOf(provider, options);
        return kind == ProviderKinds.Anthropic
            ? new ProviderClient(provider, kind, key, options) { Anthropic = RestService.For<IAnthropicMessagesApi>(http) }
            : kind == ProviderKinds.Gemini
            ? new ProviderClient(provider, kind, key, options) { Gemini = RestService.For<IGeminiApi>(http) }
            : new ProviderClient(provider, kind, key is null ? null : "Bearer " + key, options) { Api = RestService.For<IOpenAiCompatibleApi>(http) };
    }

    public void Dispose() => _subscription?.Dispose();
}
