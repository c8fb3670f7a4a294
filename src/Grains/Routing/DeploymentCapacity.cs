using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Gateway.Catalog;
using Gateway.Catalog.Telemetry;
using Gateway.Grains.Abstractions.Routing;
using Gateway.Grains.Routing.Scheduling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Grains.Routing;

/// <summary>
/// This silo's pools of deployment capacity (a silo singleton): requests take capacity from the silo's lease on the
/// deployment, without a grain call, and the deployment's <see cref="IDeploymentCapacityGrain"/> is asked only when the
/// lease runs short, so the limits hold exactly across the cluster while no request waits on one shared grain.
/// Policy: <see cref="CapacityPool"/> (this silo's side) and <see cref="CapacityLedger"/> (the grain's).
/// </summary>
public sealed class DeploymentCapacity : IDisposable
{
    private readonly ConcurrentDictionary<string, CapacityPool> _pools = new(StringComparer.Ordinal);
    private readonly Func<string, CapacityPool> _createPool;
    private readonly IDisposable? _queueGauge;

    public DeploymentCapacity(
        IGrainFactory grains,
        ILocalSiloDetails silo,
        IOptions<DeploymentCapacityOptions> options,
        IOptions<FairQueueOptions> scheduling,
        [FromKeyedServices(GatewayClock.Key)] TimeProvider time,
        ILogger<DeploymentCapacity> logger)
        : this(
            id => grains.GetGrain<IDeploymentCapacityGrain>(id).LeaseAsync,
            silo.SiloAddress.ToParsableString(),
            options.Value,
            time,
            logger,
            scheduling.Value,
            id => grains.GetGrain<IDeploymentCapacityGrain>(id).WaitForTurnAsync)
    {
        _queueGauge = UpstreamMetrics.ObserveQueues(ObserveQueues);
    }

    /// <summary>
    /// For tests: <paramref name="leaseFor"/> and <paramref name="turnFor"/> give, per deployment, what stands for the
    /// grain's <c>LeaseAsync</c> and <c>WaitForTurnAsync</c> (without the latter, queues on different silos learn of each
    /// other only at their calls).
    /// </summary>
    internal DeploymentCapacity(
        Func<string, Func<LeaseRequest, Task<LeaseResponse>>> leaseFor,
        string silo,
        DeploymentCapacityOptions options,
        TimeProvider time,
        ILogger logger,
        FairQueueOptions? scheduling = null,
        Func<string, Func<string, Task<bool>>>? turnFor = null)
    {
        scheduling ??= new FairQueueOptions();

        // Cached so that finding an existing pool allocates nothing on the request path.
        _createPool = id => new CapacityPool(id, silo, leaseFor(id), options, scheduling, time, logger, turnFor?.Invoke(id));
    }

    /// <summary>
    /// Takes capacity for one request costing <paramref name="tokens"/> (its worst case) on the deployment. Completes
    /// synchronously when this silo's spare has room (one small lock, one ticket allocated); otherwise asks the
    /// deployment's grain, one call shared by all requests waiting on this silo. An unlimited deployment never calls a
    /// grain; its requests are only counted. A ticket that is not acquired says why and when to retry.
    /// </summary>
    public ValueTask<CapacityTicket> AcquireAsync(string deploymentId, DeploymentLimits limits, long tokens, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        var pool = _pools.GetOrAdd(deploymentId, _createPool);
        return pool.TryAcquire(limits, tokens, out var ticket)
            ? new ValueTask<CapacityTicket>(ticket!)
            : pool.AcquireAsync(tokens, cancellationToken);
    }

    /// <summary>
    /// Waits for capacity on a deployment found full, in its fair queue on this silo: the tenant's requests are served in
    /// proportion to <paramref name="weight"/>, costing <paramref name="tokens"/> (the worst case; the ticket's completion
    /// corrects it). A ticket not acquired says which bound refused it or that it timed out, and when to retry. Throws when
    /// <paramref name="cancellationToken"/> fires while it waits, having left the queue.
    /// </summary>
    public ValueTask<CapacityTicket> WaitAsync(
        string deploymentId, DeploymentLimits limits, long tokens, string tenant, int weight, CancellationToken cancellationToken) =>
        WaitAsync(deploymentId, limits, tokens, tenant, weight, null, cancellationToken);

    /// <summary>
    /// As <see cref="WaitAsync(string, DeploymentLimits, long, string, int, CancellationToken)"/>, for a request that may
    /// have waited before: with <paramref name="place"/> (its ticket's <see cref="CapacityTicket.Place"/> from an attempt
    /// that failed), it is put back ahead of the requests that arrived after it instead of joining at the back.
    /// </summary>
    public ValueTask<CapacityTicket> WaitAsync(
        string deploymentId, DeploymentLimits limits, long tokens, string tenant, int weight, QueuePlace? place, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        return _pools.GetOrAdd(deploymentId, _createPool).WaitAsync(limits, tenant, Math.Max(weight, 1), tokens, place, cancellationToken);
    }

    /// <summary>The deployment's load on this silo: in flight, spare slots, whether it looks full.</summary>
    public DeploymentLoad GetLoad(string deploymentId) =>
        _pools.TryGetValue(deploymentId, out var pool) ? pool.GetLoad() : default;

    /// <summary>The requests waiting in each of this silo's deployment queues (deployments whose capacity it drew on).</summary>
    private IEnumerable<Measurement<int>> ObserveQueues()
    {
        foreach (var (id, pool) in _pools)
        {
            yield return new Measurement<int>(pool.GetLoad().Queued, new KeyValuePair<string, object?>(TelemetryNames.Deployment, id));
        }
    }

    /// <summary>The earliest head of another silo's queue for the deployment, as this silo last heard (for tests).</summary>
    internal long? QueueBar(string deploymentId) => _pools.TryGetValue(deploymentId, out var pool) ? pool.QueueBar : null;

    /// <summary>Completes when none of this silo's pools has a grain call running (for tests that drive the clock).</summary>
    internal async Task WhenCallsDoneAsync()
    {
        foreach (var pool in _pools.Values)
        {
            await pool.WhenCallsDoneAsync();
        }
    }

    public void Dispose()
    {
        _queueGauge?.Dispose();
        foreach (var pool in _pools.Values)
        {
            pool.Dispose();
        }
    }
}
