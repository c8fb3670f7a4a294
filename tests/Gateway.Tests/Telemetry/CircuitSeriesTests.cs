using Gateway.Catalog.Models;
using Gateway.Catalog.Telemetry;
using Gateway.Grains.Routing;
using Gateway.Grains.Upstream;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Gateway.Tests.Telemetry;

/// <summary>
/// The circuit-state gauge reports the deployments the catalog has now: a deployment removed from the configuration
/// leaves the export at the next collection (stale series were LiteLLM's complaint), and so does a silo that stops.
/// </summary>
public sealed class CircuitSeriesTests
{
    [Fact]
    public void ARemovedDeploymentsSeriesDisappears()
    {
        var catalog = new CatalogMonitor(Catalog("series-kept", "series-removed"));
        using var health = new DeploymentHealth(new StaticMonitor<UpstreamOptions>(new UpstreamOptions()), TimeProvider.System, new ModelCatalog(catalog));
        health.Get("series-kept#0");
        health.Get("series-removed#0");
        var exported = new List<Metric>();
        using var provider = Sdk.CreateMeterProviderBuilder().AddMeter(UpstreamMetrics.MeterName).AddInMemoryExporter(exported).Build();

        Assert.Equal(["series-kept#0", "series-removed#0"], Collect(provider, exported));

        catalog.Change(Catalog("series-kept"));
        Assert.Equal(["series-kept#0"], Collect(provider, exported));

        health.Dispose();
        Assert.Empty(Collect(provider, exported));
    }

    private static List<string> Collect(MeterProvider provider, List<Metric> exported)
    {
        exported.Clear();
        provider.ForceFlush();
        var deployments = new List<string>();
        foreach (var metric in exported.Where(m => m.Name == "gateway.deployment.circuit.state"))
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                foreach (var tag in point.Tags)
                {
                    if (tag.Key == TelemetryNames.Deployment && tag.Value is string id && id.StartsWith("series-", StringComparison.Ordinal))
                    {
                        deployments.Add(id);
                    }
                }
            }
        }

        deployments.Sort(StringComparer.Ordinal);
        return deployments;
    }

    private static ModelCatalogOptions Catalog(params string[] models)
    {
        var options = new ModelCatalogOptions();
        foreach (var model in models)
        {
            options.Models[model] = new ModelDefinition { Provider = "openai", UpstreamModel = model, InputPricePerMillionUsd = 1, OutputPricePerMillionUsd = 1 };
        }

        return options;
    }

    private sealed class CatalogMonitor(ModelCatalogOptions initial) : IOptionsMonitor<ModelCatalogOptions>
    {
        private Action<ModelCatalogOptions, string?>? _listener;

        public ModelCatalogOptions CurrentValue { get; private set; } = initial;

        public ModelCatalogOptions Get(string? name) => CurrentValue;

        public IDisposable? OnChange(Action<ModelCatalogOptions, string?> listener)
        {
            _listener += listener;
            return null;
        }

        public void Change(ModelCatalogOptions options)
        {
            CurrentValue = options;
            _listener?.Invoke(options, null);
        }
    }

    private sealed class StaticMonitor<T>(T value) : IOptionsMonitor<T>
    {
        public T CurrentValue => value;

        public T Get(string? name) => value;

        public IDisposable? OnChange(Action<T, string?> listener) => null;
    }
}
