using Microsoft.Extensions.Hosting;
using Gateway.Grains.Abstractions.Keys;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gateway.Hosting;

/// <summary>
/// Ready when this process's silo (if it hosts one) has joined and a grain call through the cluster (and its key storage)
/// succeeds; not ready from the moment the host starts stopping, so that no new traffic is sent to a process that drains.
/// </summary>
internal sealed class ClusterReadyHealthCheck(IGrainFactory grains, SiloJoinState? joinState = null, IHostApplicationLifetime? lifetime = null) : IHealthCheck
{
    // Not a possible key hash (those are 64 hex digits), so the probe never resolves a real key.
    private const string ProbeKey = "readiness-probe";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (lifetime?.ApplicationStopping.IsCancellationRequested == true)
        {
            return HealthCheckResult.Unhealthy("stopping: draining what runs here, taking nothing new");
        }

        if (joinState?.NotJoinedReason is { } reason)
        {
            return HealthCheckResult.Unhealthy(reason);
        }

        try
        {
            await grains.GetGrain<IApiKeyGrain>(ProbeKey).ResolveAsync().WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("The cluster did not answer a grain call.", exception);
        }
    }
}
