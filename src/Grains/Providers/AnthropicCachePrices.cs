using Gateway.Catalog.Models;
using Microsoft.Extensions.Options;

namespace Gateway.Grains.Providers;

/// <summary>
/// Fills in the prompt-cache prices a configured model leaves out when every deployment of it is served by a provider of
/// kind <c>anthropic</c>: Anthropic's list prices are cache reads at a tenth of the input price and five-minute cache
/// writes at 1.25 times it, one-hour cache writes at twice it. Other models keep none, and are priced at the input price. The built-in catalog states its
/// own prices.
/// </summary>
internal sealed class AnthropicCachePrices(IOptionsMonitor<ProviderCatalogOptions> providers) : IPostConfigureOptions<ModelCatalogOptions>
{
    public const decimal ReadFactor = 0.1m;
    public const decimal WriteFactor = 1.25m;
    public const decimal Write1hFactor = 2m;

    public void PostConfigure(string? name, ModelCatalogOptions options)
    {
        var catalog = providers.CurrentValue;
        foreach (var model in options.Models.Values)
        {
            var names = model.Deployments.Count > 0 ? model.Deployments.Select(d => d.Provider) : [model.Provider];
            if (!names.All(provider => IsAnthropic(catalog, provider)))
            {
                continue;
            }

            model.CacheReadPricePerMillionUsd ??= model.InputPricePerMillionUsd * ReadFactor;
            model.CacheWritePricePerMillionUsd ??= model.InputPricePerMillionUsd * WriteFactor;
            model.CacheWrite1hPricePerMillionUsd ??= model.InputPricePerMillionUsd * Write1hFactor;
        }
    }

    private static bool IsAnthropic(ProviderCatalogOptions catalog, string provider) =>
        !string.IsNullOrEmpty(provider)
        && ProviderCatalogOptions.KindOf(provider, catalog.Providers.TryGetValue(provider, out var options) ? options : new ProviderOptions()) == ProviderKinds.Anthropic;
}
