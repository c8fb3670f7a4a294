using Gateway.Catalog;
using Gateway.Grains.Abstractions.Routing;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Concurrency;

namespace Gateway.Grains.Routing;

/// <summary>
/// Collects the silos' health reports of one deployment (<see cref="DeploymentStatusPublisher"/> sends them) for
/// <c>GET /admin/deployments</c>; the policy is <see cref="DeploymentStatusBook"/>'s. Not on the request path: balancing
/// reads its own silo's <see cref="DeploymentHealth"/>, never this grain.
/// </summary>
/// <remarks>
/// State is in memory only, on purpose: it is a view of other silos' memory, stale within seconds, and every silo using
/// the deployment restates its view every second, so an activation that is lost or collected is complete again one
/// round later. Silos report to it, rather than the admin endpoint asking each silo, because Orleans offers no reliable
/// way to call into one particular silo from a client, and a per-silo grain placed "locally" moves when its silo dies.
/// </remarks>
public sealed class DeploymentStatusGrain([FromKeyedServices(GatewayClock.Key)] TimeProvider time) : Grain, IDeploymentStatusGrain
{
    private readonly DeploymentStatusBook _book = new(DeploymentStatusBook.DefaultSilence);

    public Task ReportAsync(DeploymentHealthReport report)
    {
        _book.Put(report, time.GetUtcNow());
        return Task.CompletedTask;
    }

    [ReadOnly]
    public Task<IReadOnlyList<DeploymentHealthReport>> GetReportsAsync() => Task.FromResult(_book.Current(time.GetUtcNow()));
}
