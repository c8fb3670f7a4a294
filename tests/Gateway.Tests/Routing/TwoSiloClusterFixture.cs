using Gateway.Grains.Routing;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace Gateway.Tests.Routing;

/// <summary>
/// Two in-process silos running the gateway's grains on one fake gateway clock, so that each silo's own
/// <see cref="DeploymentCapacity"/> draws on the same deployment grains. Tests isolate themselves by deployment id.
/// </summary>
public sealed class TwoSiloClusterFixture : IAsyncLifetime
{
    public FakeTimeProvider Clock { get; } = new(ClusterFixture.Start);

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    public DeploymentCapacityOptions Options { get; } = new();

    /// <summary>The silo singleton of silo 0 or 1.</summary>
    public DeploymentCapacity Capacity(int silo) => Cluster.Silos[silo].ServiceProvider.GetRequiredService<DeploymentCapacity>();

    /// <summary>Moves the clock in renew-interval steps, letting the grain calls each step's timers start finish.</summary>
    public async Task AdvanceAsync(TimeSpan by)
    {
        while (by > TimeSpan.Zero)
        {
            var step = by < Options.RenewInterval ? by : Options.RenewInterval;
            Clock.Advance(step);
            by -= step;
            await WhenCallsDoneAsync();
        }
    }

    public async Task WhenCallsDoneAsync()
    {
        for (var silo = 0; silo < Cluster.Silos.Count; silo++)
        {
            await Capacity(silo).WhenCallsDoneAsync().WaitAsync(TimeSpan.FromSeconds(15));
        }
    }

    public async Task InitializeAsync() => Cluster = await ClusterFixture.StartAsync(silos: 2, Clock);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}
