using System.Reflection;
using Gateway.Catalog.Models;
using Gateway.Grains.Abstractions.Tenants;
using Gateway.Grains.Tenants;
using Gateway.Hosting;

namespace Gateway.Tests.Architecture;

/// <summary>
/// The projects keep to their roles, as the compiled assemblies show: the frontend uses contracts (grain interfaces, the
/// catalog, host wiring) and no type of the grains' implementation; the grains run without ASP.NET Core; the catalog,
/// read by both sides, depends on neither the grains nor a web or silo runtime.
/// </summary>
public sealed class ProjectBoundaryTests
{
    private static readonly Assembly Frontend = typeof(Program).Assembly;
    private static readonly Assembly Grains = typeof(TenantGrain).Assembly;
    private static readonly Assembly Catalog = typeof(ModelCatalog).Assembly;

    [Fact]
    public void TheAssembliesAreTheOnesTheirProjectsName()
    {
        Assert.Equal(
            ["Gateway.ApiFrontend", "Gateway.Grains", "Gateway.Catalog", "Gateway.Hosting", "Gateway.Grains.Abstractions"],
            new[] { Frontend, Grains, Catalog, typeof(LocalDeploymentHealth).Assembly, typeof(ITenantGrain).Assembly }.Select(a => a.GetName().Name ?? ""));
    }

    [Fact]
    public void TheFrontendUsesNoTypeOfTheGrainsAssembly()
    {
        Assert.DoesNotContain("Gateway.Grains", References(Frontend));
        Assert.Contains("Gateway.Grains.Abstractions", References(Frontend));
        Assert.Contains("Gateway.Catalog", References(Frontend));
    }

    [Fact]
    public void TheGrainsAssemblyReferencesNoAspNetCore()
    {
        Assert.DoesNotContain(References(Grains), name => name.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        Assert.Contains("Gateway.Catalog", References(Grains));
    }

    [Fact]
    public void TheCatalogReferencesNeitherTheGrainsNorAspNetCoreNorTheOrleansServer()
    {
        var references = References(Catalog);

        Assert.DoesNotContain("Gateway.Grains", references);
        Assert.DoesNotContain("Gateway.Hosting", references);
        Assert.DoesNotContain("Orleans.Runtime", references);
        Assert.DoesNotContain(references, name => name.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
    }

    private static List<string> References(Assembly assembly) => [.. assembly.GetReferencedAssemblies().Select(a => a.Name ?? "")];
}
