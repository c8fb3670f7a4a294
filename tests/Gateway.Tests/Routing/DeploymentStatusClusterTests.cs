using Gateway.ApiFrontend.Apis;
using Gateway.Catalog.Models;
using Gateway.Grains.Routing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Routing;

/// <summary>
/// Two silos report their own views of a deployment to its status grain, and a frontend without a silo of its own (an
/// Orleans client) lists them through <c>GET /admin/deployments</c>.
/// </summary>
[Collection(TwoSiloClusterCollection.Name)]
public sealed class DeploymentStatusClusterTests(TwoSiloClusterFixture cluster)
{
    [Fact]
    public async Task EverySilosViewOfADeploymentReachesAClientModeFrontend()
    {
        var model = "status-" + Guid.NewGuid().ToString("N")[..8];
        var deploymentId = model + "#0";
        var health = Enumerable.Range(0, 2).Select(i => cluster.Cluster.Silos[i].ServiceProvider.GetRequiredService<DeploymentHealth>()).ToArray();
        health[0].Get(deploymentId).RecordOutcome(failed: true);
        health[0].Get(deploymentId).RecordFirstByte(TimeSpan.FromMilliseconds(30));
        health[0].Get(deploymentId).CoolDown(TimeSpan.FromSeconds(4));
        health[1].Get(deploymentId).RecordOutcome(failed: false);
        health[1].Get(deploymentId).RecordOutcome(failed: false);
        health[1].Get(deploymentId).RecordOutcome(failed: false);
        health[1].Get(deploymentId).RecordFirstByte(TimeSpan.FromMilliseconds(10));
        health[1].Get(deploymentId).Enter();

        for (var silo = 0; silo < 2; silo++)
        {
            await cluster.Cluster.Silos[silo].ServiceProvider.GetRequiredService<DeploymentStatusPublisher>().PublishAsync();
        }

        var catalog = new ModelCatalog(new ModelCatalogOptions
        {
            Models = { [model] = new ModelDefinition { Provider = "p", InputPricePerMillionUsd = 1, OutputPricePerMillionUsd = 1 } },
        });
        var context = new DefaultHttpContext { RequestServices = new ServiceCollection().BuildServiceProvider() };

        var result = await DeploymentsApi.GetDeployments(context, catalog, cluster.Grains, cluster.Clock);

        var deployment = Assert.Single(result.Value!.Data);
        Assert.Equal(deploymentId, deployment.Id);
        Assert.Equal(2, deployment.Silos.Count);
        Assert.Equal(
            Enumerable.Range(0, 2).Select(i => cluster.Cluster.Silos[i].SiloAddress.ToParsableString()).Order(StringComparer.Ordinal),
            deployment.Silos.Select(s => s.Silo));
        Assert.Equal((4, 1), (deployment.RecentCalls, deployment.RecentFailures));
        Assert.Equal(0.25, deployment.ErrorRatio);
        Assert.Equal(1, deployment.InFlight);
        Assert.Equal((30.0 * 1 + 10.0 * 3) / 4, deployment.LatencyMs);
        Assert.Equal(4_000, deployment.CooldownRemainingMs);
        Assert.Equal("closed", deployment.Circuit);
        Assert.Null(deployment.Capacity);
        health[1].Get(deploymentId).Exit();
    }
}
