using System.Net;
using Gateway.MockProvider;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Routing;

/// <summary>
/// A model served by two deployments of kind <c>gemini</c>: Gemini's 429 <c>RESOURCE_EXHAUSTED</c> is a rate limit, whose
/// request fails over to the other deployment and whose deployment cools down for its Retry-After, as any provider's.
/// </summary>
[Collection(RoutingGatewayCollection.Name)]
public sealed class GeminiFailoverTests(RoutingGatewayFixture fixture)
{
    private GatewayFactory Gateway => fixture.Gateway;

    [Fact]
    public async Task AResourceExhausted429FailsOverToTheOtherDeploymentAndCoolsItsOwnDown()
    {
        var (_, key) = await Gateway.CreateRoomyTenantAsync();
        using var client = Gateway.CreateTenantClient(key);
        var limited = Gateway.MockDeployments.Get("gem-a");
        var other = Gateway.MockDeployments.Get("gem-b");
        limited.Faults.Enqueue(new MockFault { Status = 429, RetryAfterSeconds = 10 });

        for (var i = 0; limited.Faults.Count > 0; i++)
        {
            Assert.True(i < 200, "gem-a should have drawn its 429 within 200 requests.");
            using var response = await client.ChatAsync("gem");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var cooling = (await Gateway.GetDeploymentsAsync())["gem#0"];
        Assert.Equal(10_000, cooling["cooldownRemainingMs"]!.GetValue<long>());
        Assert.Equal(0, cooling["recentFailures"]!.GetValue<int>());

        // Within the Retry-After everything goes to gem-b, through the translation.
        var served = other.Stats.Requests;
        var limitedServed = limited.Stats.Requests;
        for (var i = 0; i < 5; i++)
        {
            using var response = await client.ChatAsync("gem");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(served + 5, other.Stats.Requests);
        Assert.Equal(limitedServed, limited.Stats.Requests);
    }
}
