using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Gateway.Catalog;
using Gateway.Catalog.Models;
using Gateway.Catalog.Telemetry;
using Gateway.Grains.Upstream;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Grains.Routing;

/// <summary>
/// What this silo knows of each deployment's health: its circuit breaker, the latency and error figures balancing uses,
/// requests in flight, and a cooldown after a 429. One per silo; every upstream worker of the silo shares it. Its circuits
/// are the <c>gateway.deployment.circuit.state</c> gauge's series, for the deployments the catalog still has.
/// </summary>
public sealed class DeploymentHealth : IDisposable
{
    private readonly ConcurrentDictionary<string, DeploymentState> _states = new(StringComparer.Ordinal);
    private readonly IOptionsMonitor<UpstreamOptions> _options;
    private readonly TimeProvider _time;
    private readonly IDisposable _circuitGauge;

    public DeploymentHealth(IOptionsMonitor<UpstreamOptions> options, [FromKeyedServices(GatewayClock.Key)] TimeProvider time, ModelCatalog models)
    {
        _options = options;
        _time = time;
        _circuitGauge = UpstreamMetrics.ObserveCircuits(() => ObserveCircuits(models));
    }

    public void Dispose() => _circuitGauge.Dispose();

    private static int CircuitValue(Polly.CircuitBreaker.CircuitState circuit) => circuit switch
    {
        Polly.CircuitBreaker.CircuitState.HalfOpen => 1,
        Polly.CircuitBreaker.CircuitState.Open => 2,
        Polly.CircuitBreaker.CircuitState.Isolated => 3,
        _ => 0,
    };

    private IEnumerable<Measurement<int>> ObserveCircuits(ModelCatalog models)
    {
        var current = models.Deployments.Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var state in _states.Values)
        {
            if (current.Contains(state.Id))
            {
                yield return new Measurement<int>(CircuitValue(state.Circuit), new KeyValuePair<string, object?>(TelemetryNames.Deployment, state.Id));
            }
        }
    }

    public DeploymentState Get(string deploymentId) =>
        _states.TryGetValue(deploymentId, out var state)
            ? state
            : _states.GetOrAdd(deploymentId, id => new DeploymentState(id, _options.CurrentValue.CircuitBreaker, _time));

    /// <summary>The deployment's state once this silo has routed a request of its model; null before (nothing is created).</summary>
    public DeploymentState? Find(string deploymentId) => _states.TryGetValue(deploymentId, out var state) ? state : null;

    /// <summary>The deployments this silo has called so far.</summary>
    public IEnumerable<DeploymentState> Known => _states.Values;
}
