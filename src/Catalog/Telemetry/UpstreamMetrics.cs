using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Gateway.Catalog.Telemetry;

/// <summary>The way to the providers: retries, fallbacks, the response cache, each deployment's circuit and fair queue.</summary>
public static class UpstreamMetrics
{
    public const string MeterName = "Gateway.Upstream";

    private static readonly Meter Meter = new(MeterName);
    private static readonly ConcurrentDictionary<object, Func<IEnumerable<Measurement<int>>>> CircuitSources = new();
    private static readonly ConcurrentDictionary<object, Func<IEnumerable<Measurement<int>>>> QueueSources = new();

    private static readonly Counter<long> Retries = Meter.CreateCounter<long>(
        "gateway.upstream.retries", "{attempt}", "Provider attempts after a request's first, by requested model");

    private static readonly Counter<long> Fallbacks = Meter.CreateCounter<long>(
        "gateway.upstream.fallbacks", "{request}", "Requests served by a fallback model instead of the one requested");

    private static readonly Counter<long> CacheLookups = Meter.CreateCounter<long>(
        "gateway.cache.lookups", "{lookup}", "Response cache look-ups by outcome (hit, miss)");

    // From a millisecond (a slot freed at once) to the default queue timeout and beyond (a longer configured one).
    private static readonly Histogram<double> QueueWait = Meter.CreateHistogram<double>(
        "gateway.queue.wait", "s", "Time requests waited in a full deployment's fair queue before they got its capacity, per deployment",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60] });

    static UpstreamMetrics()
    {
        Meter.CreateObservableGauge("gateway.deployment.circuit.state", ObserveCircuits, "{state}",
            "Circuit breaker state per deployment as a silo sees it: 0 closed, 1 half-open, 2 open, 3 isolated");
        Meter.CreateObservableUpDownCounter("gateway.queue.depth", ObserveQueues, "{request}",
            "Requests waiting in a full deployment's fair queue on a silo, per deployment");
    }

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

    /// <summary>A request that waited in <paramref name="deployment"/>'s queue got its capacity after <paramref name="waited"/>.</summary>
    public static void RecordQueueWait(string deployment, TimeSpan waited) =>
        QueueWait.Record(waited.TotalSeconds, new KeyValuePair<string, object?>(TelemetryNames.Deployment, deployment));

    /// <summary>
    /// Adds a source of queue depths (one per silo: its deployments' queues); disposing the result removes it.
    /// </summary>
    public static IDisposable ObserveQueues(Func<IEnumerable<Measurement<int>>> source)
    {
        var key = new object();
        QueueSources[key] = source;
        return new Removal(QueueSources, key);
    }

    /// <summary>
    /// Adds a source of circuit states (one per silo: its deployments); disposing the result removes it, and with it its
    /// series. The source reports only deployments the catalog still has, so a removed deployment's series disappears.
    /// </summary>
    public static IDisposable ObserveCircuits(Func<IEnumerable<Measurement<int>>> source)
    {
        var key = new object();
        CircuitSources[key] = source;
        return new Removal(CircuitSources, key);
    }

    private static IEnumerable<Measurement<int>> ObserveCircuits() => CircuitSources.Values.SelectMany(source => source());

    private static IEnumerable<Measurement<int>> ObserveQueues() => QueueSources.Values.SelectMany(source => source());

    private sealed class Removal(ConcurrentDictionary<object, Func<IEnumerable<Measurement<int>>>> sources, object key) : IDisposable
    {
        public void Dispose() => sources.TryRemove(key, out _);
    }
}
