using System.Net;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Routing;

/// <summary>
/// Least-latency routing through the HTTP API. Latency is measured on the gateway's clock, so this gateway runs on the
/// system clock: the mock's delays are real. The decisions themselves are tested on a fake clock in <see cref="DeploymentBalancerTests"/>.
/// </summary>
public sealed class LeastLatencyRoutingTests(LeastLatencyRoutingTests.RealClockGateway fixture) : IClassFixture<LeastLatencyRoutingTests.RealClockGateway>
{
    [Fact]
    public async Task LeastLatencySendsAtLeastEightyPercentToADeploymentTenTimesFaster()
    {
        var gateway = fixture.Gateway;
        var fast = gateway.MockDeployments.Get("ll-fast");
        var slow = gateway.MockDeployments.Get("ll-slow");
        fast.Latency = TimeSpan.FromMilliseconds(5);
        slow.Latency = TimeSpan.FromMilliseconds(50);
        var (_, key) = await gateway.CreateRoomyTenantAsync();
        using var client = gateway.CreateTenantClient(key);

        // The first upstream call of a process pays for compiling the call path: on another model, so that neither
        // deployment's first measurement carries it.
        for (var i = 0; i < 20; i++)
        {
            using var warm = await client.ChatAsync("warm");
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        const int Requests = 200;
        await Parallel.ForEachAsync(Enumerable.Range(0, Requests), new ParallelOptions { MaxDegreeOfParallelism = 2 }, async (_, cancellationToken) =>
        {
            using var response = await client.ChatAsync("fastest", cancellationToken: cancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        });

        var toFast = fast.Stats.Requests;
        Assert.Equal(Requests, toFast + slow.Stats.Requests);
        Assert.True(toFast >= 0.8 * Requests, $"At least 80% should go to the deployment ten times faster: ll-fast {toFast}, ll-slow {slow.Stats.Requests}.");
    }

    /// <summary>A gateway of its own on the system clock, with one least-latency model over a fast and a slow deployment.</summary>
    public sealed class RealClockGateway : IAsyncLifetime
    {
        public RealClockGateway()
        {
            Gateway.UseSystemClock = true;
            Gateway.AddModel("fastest", [new("ll-fast"), new("ll-slow")], routing: "least-latency");
            Gateway.AddModel("warm", [new("ll-warm")]);
        }

        public GatewayFactory Gateway { get; } = new();

        public Task InitializeAsync() => Gateway.InitializeAsync();

        public Task DisposeAsync() => ((IAsyncLifetime)Gateway).DisposeAsync();
    }
}
