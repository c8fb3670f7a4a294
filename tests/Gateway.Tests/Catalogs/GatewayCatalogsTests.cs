using Gateway.Catalog;
using Gateway.Catalog.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Catalogs;

/// <summary>The catalogs both frontends and silos read, as <see cref="CatalogServiceCollectionExtensions.AddGatewayCatalogs"/> registers them.</summary>
public sealed class GatewayCatalogsTests
{
    [Fact]
    public void CatalogsAddedTwiceAsByAnEmbeddedFrontendAndItsSiloBindEachDeploymentAndFallbackOnce()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gateway:Models:m:Deployments:0:Provider"] = "a",
            ["Gateway:Models:m:Deployments:1:Provider"] = "b",
            ["Gateway:Models:m:Fallbacks:0"] = "n",
            ["Gateway:Models:m:Aliases:0"] = "em",
            ["Gateway:Models:n:Provider"] = "c",
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);

        services.AddGatewayCatalogs();
        services.AddGatewayCatalogs();

        using var provider = services.BuildServiceProvider();
        var route = provider.GetRequiredService<ModelCatalog>().Route("m")!;
        Assert.Equal(["m#0", "m#1"], route.Deployments.Select(d => d.Id));
        Assert.Equal(["a", "b"], route.Deployments.Select(d => d.Provider));
        Assert.Equal(["n"], route.Fallbacks);
        Assert.Equal(["em"], provider.GetRequiredService<ModelCatalog>().Get("m").Aliases);
    }
}
