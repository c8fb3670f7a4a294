using System.Collections.Concurrent;
using Gateway.Catalog;
using Gateway.Grains.Upstream;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Grains.Routing;

/// <summary>
/// What this silo knows of each deployment's health: its circuit breaker, the latency and error figures balancing uses,
/// requests in flight, and a cooldown after a 429. One per silo; every upstream worker of the silo shares it.
/// </summary>
public sealed class DeploymentHealth(IOptionsMonitor<UpstreamOptions> options, [FromKeyedServices(GatewayClock.Key)] TimeProvider time)
{
    private readonly ConcurrentDictionary<string, DeploymentState> _states = new(StringComparer.Ordinal);

    public DeploymentState Get(string deploymentId) =>
        _states.TryGetValue(deploymentId, out var state)
            ? state
            : _states.GetOrAdd(deploymentId, id => new DeploymentState(id, options.CurrentValue.CircuitBreaker, time));

    /// <summary>The deployment's state once this silo has routed a request of its model; null before (nothing is created).</summary>
    public DeploymentState? Find(string deploymentId) => _states.TryGetValue(deploymentId, out var state) ? state : null;

    /// <summary>The deployments this silo has called so far.</summary>
    public IEnumerable<DeploymentState> Known => _states.Values;
}
