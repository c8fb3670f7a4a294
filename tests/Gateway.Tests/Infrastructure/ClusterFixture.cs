using Gateway.Catalog;
using Gateway.Grains;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// An in-process Orleans cluster running the gateway's grains, with the gateway's clock under the test's control.
/// Tests share it and isolate themselves by grain key.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    /// <summary>Mid-month, mid-day UTC: far from every period boundary unless a test moves it there.</summary>
    public static readonly DateTimeOffset Start = new(2026, 11, 15, 12, 0, 0, TimeSpan.Zero);

    public FakeTimeProvider Clock { get; } = new(Start);

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    public async Task InitializeAsync() => Cluster = await StartAsync(silos: 1, Clock);

    /// <summary>An in-process cluster of <paramref name="silos"/> silos with the gateway's grains, on <paramref name="clock"/>.</summary>
    public static async Task<InProcessTestCluster> StartAsync(int silos, FakeTimeProvider clock)
    {
        var builder = new InProcessTestClusterBuilder((short)silos);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
            silo.AddGatewayGrains();
            silo.Services.AddKeyedSingleton<TimeProvider>(GatewayClock.Key, clock);
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
