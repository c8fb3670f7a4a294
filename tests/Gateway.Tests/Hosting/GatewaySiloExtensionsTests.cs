using Gateway.Catalog.Models;
using Gateway.Grains.Caching;
using Gateway.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Gateway.Tests.Hosting;

/// <summary>
/// What a process's silo is given by <see cref="GatewaySiloExtensions.AddGatewaySilo"/> beside the grains' own services,
/// checked on a built host that is never started (nothing listens, nothing connects).
/// </summary>
public sealed class GatewaySiloExtensionsTests
{
    [Theory]
    [InlineData("Redis", null, typeof(RedisResponseCacheStore))]
    [InlineData("Redis", "Memory", typeof(MemoryResponseCacheStore))]
    [InlineData("Localhost", null, typeof(MemoryResponseCacheStore))]
    [InlineData("Localhost", "Redis", typeof(RedisResponseCacheStore))]
    public void TheResponseCacheIsInRedisWhenTheClusterIsUnlessTheStoreIsChosen(string clustering, string? store, Type expected)
    {
        using var host = BuildSilo(new()
        {
            ["Cluster:Clustering"] = clustering,
            ["Gateway:Cache:Store"] = store,
        });

        Assert.IsType(expected, host.Services.GetRequiredService<IResponseCacheStore>());
    }

    [Fact]
    public void TheSiloHasOneAdminKeyVerifierAndTheCatalogsOnce()
    {
        using var host = BuildSilo(new() { ["Gateway:AdminKey"] = "adm-silo", ["Gateway:Models:m:Provider"] = "p" });

        var verifier = Assert.Single(host.Services.GetServices<AdminKeyVerifier>());
        Assert.True(verifier.Verify("adm-silo"));
        Assert.Equal(["m"], host.Services.GetRequiredService<ModelCatalog>().ModelIds);
    }

    /// <summary>
    /// A silo's gateway forgets a client that left it within seconds (Orleans keeps one for a minute and queues what is
    /// sent to it meanwhile: a draining worker's pushes to a frontend that had moved to other silos timed out 5 s at a time).
    /// </summary>
    [Theory]
    [InlineData("Redis")]
    [InlineData("Localhost")]
    public void AGatewayForgetsAClientThatLeftItWithinSeconds(string clustering)
    {
        using var host = BuildSilo(new() { ["Cluster:Clustering"] = clustering });

        var dropAfter = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Orleans.Configuration.SiloMessagingOptions>>().Value.ClientDropTimeout;
        Assert.InRange(dropAfter, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void TheAdminKeyIsRegisteredOnceHoweverOftenItIsAdded()
    {
        var services = new ServiceCollection();

        services.AddGatewayAdminKey();
        services.AddGatewayAdminKey();

        Assert.Single(services, d => d.ServiceType == typeof(AdminKeyVerifier));
    }

    private static IHost BuildSilo(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Production, DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(settings) { ["ConnectionStrings:Redis"] = "127.0.0.1:1" });
        builder.UseOrleans(silo => silo.AddGatewaySilo(builder.Configuration));
        return builder.Build();
    }
}
