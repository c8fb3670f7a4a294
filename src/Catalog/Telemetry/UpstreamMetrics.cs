using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Gateway.Catalog.Telemetry;

/// <summary>The way to the providers: retries, fallbacks, the response cache, and each deployment's circuit.</summary>
public static class UpstreamMetrics
{
    public const string MeterName = "Gateway.Upstream";

    private static readonly Meter Meter = new(MeterName);
    private static readonly ConcurrentDictionary<object, Func<IEnumerable<Measurement<int>>>> CircuitSources = new();

    private static readonly Counter<long> Retries = Meter.CreateCounter<long>(
        "gateway.upstream.retries", "{attempt}", "Provider attempts after a request's first, by requested model");

    private static readonly Counter<long> Fallbacks = Meter.CreateCounter<long>(
        "gateway.upstream.fallbacks", "{request}", "Requests served by a fallback model instead of the one requested");

    private static readonly Counter<long> CacheLookups = Meter.CreateCounter<long>(
        "gateway.cache.lookups", "{lookup}", "Response cache look-ups by outcome (hit, miss)");

    static UpstreamMetrics() =>
        Meter.CreateObservableGauge("gateway.deployment.circuit.state", ObserveCircuits, "{state}",
            "Circuit breaker state per deployment as a silo sees it: 0 closed, 1 half-open, 2 open, 3 isolated");

    public static void RecordRetries(string model, int retries)
    {
        if (retries > 0)
        {
            Retries.Add(retries, new KeyValuePair<string, object?>(TelemetryNames.Model, model));
        }
    }

    public static void RecordFallback(string requestedModel, string servedModel) =>
        Fallbacks.Add(1, new TagList { { TelemetryNames.Model, requestedModel }, { "gateway.served_model", servedModel } });

    public static void RecordCacheLookup(bool hit) =>
        CacheLookups.Add(1, new KeyValuePair<string, object?>(TelemetryNames.Outcome, hit ? "hit" : "miss"));

    /// <summary>
    /// Adds a source of circuit states (one per silo: its deployments); disposing the result removes it, and with it its
    /// series. The source reports only deployments the catalog still has, so a removed deployment's series disappears.
    /// </summary>
    public static IDisposable ObserveCircuits(Func<IEnumerable<Measurement<int>>> source)
    {
        var key = new object();
        CircuitSources[key] = source;
        return new Removal(key);
    }

    private static IEnumerable<Measurement<int>> ObserveCircuits() => CircuitSources.Values.SelectMany(source => source());

    private sealed class Removal(object key) : IDisposable
    {
        public void Dispose() => CircuitSources.TryRemove(key, out _);
    }
}
