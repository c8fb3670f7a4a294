using Gateway.Catalog.Models;
using Gateway.Catalog.Telemetry;
using Gateway.Catalog.Tiers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gateway.Catalog;

/// <summary>Registers what frontends and silos both read: the gateway's clock, the model catalog, the tier table and the metrics' labels.</summary>
public static class CatalogServiceCollectionExtensions
{
    /// <summary>
    /// Model catalog, tiers and clocks. Registered once however often it is called: an embedded frontend calls it for
    /// itself and again for its silo, and binding the configuration twice into the same options would append every list
    /// twice (each model's deployments, fallbacks and aliases).
    /// </summary>
    public static IServiceCollection AddGatewayCatalogs(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(CatalogsAdded)))
        {
            return services;
        }

        services.AddSingleton<CatalogsAdded>();
        services.TryAddKeyedSingleton(GatewayClock.Key, TimeProvider.System);
        // The process's own clock, for retries that wait on the cluster or a database (Orleans registers the same where it runs).
        services.TryAddSingleton(TimeProvider.System);
        services.BindEntries<ModelCatalogOptions>(ModelCatalogOptions.Section, options => options.Models);
        services.AddSingleton<IValidateOptions<ModelCatalogOptions>, ModelCatalogOptionsValidator>();
        services.BindEntries<TierCatalogOptions>(TierCatalogOptions.Section, options => options.Tiers);
        services.AddSingleton<IValidateOptions<TierCatalogOptions>, TierCatalogOptionsValidator>();
        services.TryAddSingleton<ModelCatalog>();
        services.AddOptionsWithValidateOnStart<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section);
        services.AddSingleton<IValidateOptions<TelemetryOptions>, TelemetryOptions.Validator>();
        services.TryAddSingleton<MetricLabels>();
        return services;
    }

    /// <summary>Marks a service collection that <see cref="AddGatewayCatalogs"/> has registered its services in.</summary>
    private sealed class CatalogsAdded;
}
