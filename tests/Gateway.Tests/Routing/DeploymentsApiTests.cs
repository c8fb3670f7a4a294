using System.Net;
using System.Text.Json.Nodes;
using Gateway.Grains.Abstractions.Routing;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static Gateway.Tests.Infrastructure.OpenAiErrorAssertions;

namespace Gateway.Tests.Routing;

/// <summary><c>GET /admin/deployments</c> on an embedded gateway: the catalog's deployments, their health and their capacity.</summary>
[Collection(RoutingGatewayCollection.Name)]
public sealed class DeploymentsApiTests(RoutingGatewayFixture fixture)
{
    private GatewayFactory Gateway => fixture.Gateway;

    [Fact]
    public async Task TheDeploymentsEndpointNeedsTheAdminKey()
    {
        var (_, key) = await Gateway.CreateRoomyTenantAsync();
        using var anonymous = Gateway.CreateClient();
        using var tenant = Gateway.CreateTenantClient(key);

        using var withoutKey = await anonymous.GetAsync("/admin/deployments");
        using var withTenantKey = await tenant.GetAsync("/admin/deployments");

        await AssertOpenAiErrorAsync(withoutKey, HttpStatusCode.Unauthorized, "invalid_request_error", null, "invalid_admin_key", "no key");
        await AssertOpenAiErrorAsync(withTenantKey, HttpStatusCode.Unauthorized, "invalid_request_error", null, "invalid_admin_key", "a tenant key");
    }

    [Fact]
    public async Task ListsEveryDeploymentOfTheCatalogInOrderWithItsConfigurationHealthAndCapacity()
    {
        var (_, key) = await Gateway.CreateRoomyTenantAsync();
        using var client = Gateway.CreateTenantClient(key);
        using (var response = await client.ChatAsync("backup"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using var admin = Gateway.CreateAdminClient();
        using var list = await admin.GetAsync("/admin/deployments");
        var text = await list.Content.ReadAsStringAsync();
        Expect.Equal(HttpStatusCode.OK, list.StatusCode, text);
        var root = JsonNode.Parse(text)!.AsObject();
        Assert.Equal("list", root["object"]!.GetValue<string>());
        var data = root["data"]!.AsArray().Select(d => d!.AsObject()).ToList();

        var catalog = Gateway.Services.GetRequiredService<Gateway.Catalog.Models.ModelCatalog>();
        Assert.Equal(catalog.Deployments.Select(d => d.Id), data.Select(d => d["id"]!.GetValue<string>()));
        Assert.All(data, d => Expect.Equal(
            ["id", "model", "provider", "upstreamModel", "weight", "limits", "circuit", "inFlight", "latencyMs",
                "recentCalls", "recentFailures", "errorRatio", "cooldownRemainingMs", "capacity", "silos"],
            d.Select(p => p.Key).ToArray(),
            d.ToJsonString()));

        var split = data.Single(d => d["id"]!.GetValue<string>() == "split#0");
        Assert.Equal("split", split["model"]!.GetValue<string>());
        Assert.Equal("split-a", split["provider"]!.GetValue<string>());
        Assert.Equal("split-a-model", split["upstreamModel"]!.GetValue<string>());
        Assert.Equal(3, split["weight"]!.GetValue<int>());
        Expect.JsonEqual(JsonNode.Parse("""{"requestsPerMinute":null,"tokensPerMinute":null,"maxConcurrent":null}"""), split["limits"],
            "An unlimited deployment has null limits");
        Assert.Null(split["capacity"]);

        // Served once, just now, by this (the only) silo.
        var backup = data.Single(d => d["id"]!.GetValue<string>() == "backup#0");
        Assert.Equal("closed", backup["circuit"]!.GetValue<string>());
        Assert.Equal(0, backup["inFlight"]!.GetValue<int>());
        // Measured: null until a call is timed (on the fake clock the time taken may be 0).
        Assert.NotNull(backup["latencyMs"]);
        Assert.InRange(backup["latencyMs"]!.GetValue<double>(), 0, double.MaxValue);
        Assert.InRange(backup["recentCalls"]!.GetValue<int>(), 1, int.MaxValue); // at least the call just made
        Assert.Equal(0.0, backup["errorRatio"]!.GetValue<double>());
        Assert.Equal(0, backup["cooldownRemainingMs"]!.GetValue<long>());
        var silo = Assert.Single(backup["silos"]!.AsArray())!.AsObject();
        Expect.Equal(
            ["silo", "reportedAt", "circuit", "inFlight", "latencyMs", "recentCalls", "recentFailures", "cooldownRemainingMs"],
            silo.Select(p => p.Key).ToArray(),
            silo.ToJsonString());

        var narrow = data.Single(d => d["id"]!.GetValue<string>() == "narrow#0");
        Assert.Equal(2, narrow["limits"]!["maxConcurrent"]!.GetValue<int>());
        Expect.Equal(
            ["inFlight", "slotsLeased", "requestsAvailable", "requestsLeased", "tokensAvailable", "tokensLeased", "leases"],
            (narrow["capacity"] as JsonObject)?.Select(p => p.Key).ToArray(),
            $"A limited deployment reports its capacity: {narrow.ToJsonString()}");
    }

    [Fact]
    public async Task AnEmbeddedGatewayListsEachConfiguredDeploymentAndFallbackOnce()
    {
        var deployments = await Gateway.GetDeploymentsAsync();

        Assert.Equal(["split#0", "split#1"], deployments.Keys.Where(id => id.StartsWith("split#", StringComparison.Ordinal)));
        Assert.Equal(["split-a", "split-b"], deployments.Where(d => d.Key.StartsWith("split#", StringComparison.Ordinal)).Select(d => d.Value["provider"]!.GetValue<string>()));
        var catalog = Gateway.Services.GetRequiredService<Gateway.Catalog.Models.ModelCatalog>();
        Assert.Equal(["backup"], catalog.Route("primary")!.Fallbacks);
    }

    [Fact]
    public async Task ListingDeploymentsActivatesNoCapacityGrainForAnUnlimitedDeployment()
    {
        using var admin = Gateway.CreateAdminClient();
        using (var list = await admin.GetAsync("/admin/deployments"))
        {
            Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        }

        var grains = Gateway.Services.GetRequiredService<IGrainFactory>();
        var capacityGrainType = grains.GetGrain<IDeploymentCapacityGrain>("any").GetGrainId().Type;
        var active = (await grains.GetGrain<IManagementGrain>(0).GetActiveGrains(capacityGrainType)).Select(id => id.Key.ToString()).ToList();
        Assert.Contains("narrow#0", active);
        Assert.All(active, id => Assert.Equal("narrow#0", id)); // only the limited deployment has a capacity grain
    }
}
