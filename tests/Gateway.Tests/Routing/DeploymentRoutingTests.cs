using System.Net;
using System.Text.Json.Nodes;
using Gateway.Grains.Routing;
using Gateway.MockProvider;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static Gateway.Tests.Infrastructure.OpenAiErrorAssertions;

namespace Gateway.Tests.Routing;

/// <summary>
/// How a model's requests spread over its deployments, through the gateway's HTTP API: weights, circuit breakers, a
/// 429's cooldown, capacity. What each deployment received is read from the mock's per-deployment stats.
/// </summary>
[Collection(RoutingGatewayCollection.Name)]
public sealed class DeploymentRoutingTests(RoutingGatewayFixture fixture)
{
    private static readonly TimeSpan BreakDuration = TimeSpan.FromSeconds(5);

    private GatewayFactory Gateway => fixture.Gateway;

    private MockDeployment Mock(string name) => Gateway.MockDeployments.Get(name);

    private DeploymentCapacity Capacity => Gateway.Services.GetRequiredService<DeploymentCapacity>();

    [Fact]
    public async Task WeightsThreeToOneSplitFourThousandRequestsWithinThreePercent()
    {
        var (_, key) = await Gateway.CreateRoomyTenantAsync();
        using var client = Gateway.CreateTenantClient(key);
        const int Requests = 4_000;

        var failures = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, Requests), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, cancellationToken) =>
        {
            using var response = await client.ChatAsync("split", cancellationToken: cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                Interlocked.Increment(ref failures);
            }
        });

        Assert.Equal(0, failures);
        var a = Mock("split-a").Stats.Requests;
        var b = Mock("split-b").Stats.Requests;
        Assert.Equal(Requests, a + b);
        Assert.InRange(a, (long)(0.72 * Requests), (long)(0.78 * Requests)); // weight 3 of 4: 75% ± 3% of the traffic
    }

    [Fact]
    public async Task ABreakerOpensAfterFiveFailuresSendsTrafficToTheOtherDeploymentAndClosesAfterAGoodProbe()
    {
        var (_, key) = await Gateway.CreateRoomyTenantAsync();
        using var client = Gateway.CreateTenantClient(key);
        var failing = Mock("pair-a");
        var healthy = Mock("pair-b");
        failing.Faults.Enqueue(new MockFault { Status = 500 }, count: 5);

        // Each request that lands on pair-a fails there and is retried on pair-b: the client sees only successes.
        for (var i = 0; failing.Faults.Count > 0; i++)
        {
            Assert.True(i < 200, $"pair-a should have drawn its 5 failures within 200 requests; {failing.Faults.Count} left.");
            using var response = await client.ChatAsync("pair");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var open = await Gateway.GetDeploymentsAsync();
        AssertHealth(open["pair#0"], "open", calls: 5, failures: 5);
        Assert.Equal(1.0, open["pair#0"]["errorRatio"]!.GetValue<double>());
        AssertJson(open["pair#1"], "circuit", "closed");

        var served = healthy.Stats.Requests;
        for (var i = 0; i < 20; i++)
        {
            using var response = await client.ChatAsync("pair");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(0, failing.Stats.Requests); // nothing goes to pair-a while its circuit is open
        Assert.Equal(served + 20, healthy.Stats.Requests);

        Gateway.Clock.Advance(BreakDuration);
        AssertJson((await Gateway.GetDeploymentsAsync())["pair#0"], "circuit", "half-open");
        for (var i = 0; failing.Stats.Requests == 0; i++)
        {
            Assert.True(i < 200, "After the break, pair-a should get its probe within 200 requests.");
            using var response = await client.ChatAsync("pair");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        AssertJson((await Gateway.GetDeploymentsAsync())["pair#0"], "circuit", "closed");
    }

    [Fact]
    public async Task WithItsOnlyDeploymentOpenARequestIs503WithRetryAfterAndNothingIsSent()
    {
        var (_, key) = await Gateway.CreateRoomyTenantAsync();
        using var client = Gateway.CreateTenantClient(key);
        var solo = Mock("solo-a");
        solo.Faults.Enqueue(new MockFault { Status = 500 }, count: 5);

        // Three attempts per request: the first request takes three failures, the second the two that open the circuit.
        for (var i = 0; i < 2; i++)
        {
            using var failed = await client.ChatAsync("solo");
            await AssertOpenAiErrorAsync(failed, HttpStatusCode.BadGateway, "server_error", null, "upstream_error", $"request {i + 1} on a failing deployment");
        }

        Assert.Equal(0, solo.Faults.Count);
        AssertHealth((await Gateway.GetDeploymentsAsync())["solo#0"], "open", calls: 5, failures: 5);

        using (var refused = await client.ChatAsync("solo"))
        {
            await AssertOpenAiErrorAsync(refused, HttpStatusCode.ServiceUnavailable, "server_error", null, "upstream_unavailable", "the only deployment's circuit is open");
            Assert.Equal("5", refused.Headers.GetValues("Retry-After").Single());
        }

        Assert.Equal(0, solo.Stats.Requests);

        Gateway.Clock.Advance(BreakDuration);
        using (var probe = await client.ChatAsync("solo"))
        {
            Assert.Equal(HttpStatusCode.OK, probe.StatusCode);
        }

        Assert.Equal(1, solo.Stats.Requests);
        AssertJson((await Gateway.GetDeploymentsAsync())["solo#0"], "circuit", "closed");
    }

    [Fact]
    public async Task ADeploymentThatAnswered429GetsNothingUntilItsRetryAfterPassedWhileTheOtherServes()
    {
        var (_, key) = await Gateway.CreateRoomyTenantAsync();
        using var client = Gateway.CreateTenantClient(key);
        var limited = Mock("cool-a");
        var other = Mock("cool-b");
        limited.Faults.Enqueue(new MockFault { Status = 429, RetryAfterSeconds = 10 });

        for (var i = 0; limited.Faults.Count > 0; i++)
        {
            Assert.True(i < 200, "cool-a should have drawn its 429 within 200 requests.");
            using var response = await client.ChatAsync("cool");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var cooling = (await Gateway.GetDeploymentsAsync())["cool#0"];
        Assert.Equal(10_000, cooling["cooldownRemainingMs"]!.GetValue<long>());
        AssertJson(cooling, "circuit", "closed");
        Assert.Equal(0, cooling["recentFailures"]!.GetValue<int>());

        // Nine of the ten seconds pass while requests keep coming.
        var served = other.Stats.Requests;
        for (var i = 0; i < 20; i++)
        {
            Gateway.Clock.Advance(TimeSpan.FromMilliseconds(450));
            using var response = await client.ChatAsync("cool");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(0, limited.Stats.Requests); // nothing goes to cool-a within its Retry-After
        Assert.Equal(served + 20, other.Stats.Requests);
        Assert.Equal(1_000, (await Gateway.GetDeploymentsAsync())["cool#0"]["cooldownRemainingMs"]!.GetValue<long>());

        Gateway.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, (await Gateway.GetDeploymentsAsync())["cool#0"]["cooldownRemainingMs"]!.GetValue<long>());
        for (var i = 0; limited.Stats.Requests == 0; i++)
        {
            Assert.True(i < 200, "Once its Retry-After passed, cool-a should serve again within 200 requests.");
            using var response = await client.ChatAsync("cool");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task TheThirdConcurrentRequestOnADeploymentWithMaxConcurrentTwoWaitsInItsQueueAndIsSentWhenASlotFrees()
    {
        var (_, key) = await Gateway.CreateRoomyTenantAsync();
        using var client = Gateway.CreateTenantClient(key);
        var narrow = Mock("narrow-a");
        var sent = narrow.Stats.Requests;
        var hold = Gateway.MockHold;
        hold.Close();
        try
        {
            var running = Enumerable.Range(0, 2).Select(_ => client.ChatAsync("narrow")).ToList();
            await Eventually.HoldsAsync(() => Task.FromResult(hold.Waiting == 2), "both requests wait at the mock");

            var third = client.ChatAsync("narrow");
            await Eventually.HoldsAsync(() => Task.FromResult(Capacity.GetLoad("narrow#0").Queued == 1), "the third request waits in the deployment's queue");
            Gateway.Clock.Advance(TimeSpan.FromSeconds(3));
            Assert.False(third.IsCompleted, "A request on a full deployment waits for a slot within the queue timeout.");
            Assert.Equal(2, hold.Waiting);
            var busy = (await Gateway.GetDeploymentsAsync())["narrow#0"];
            Assert.Equal(2, busy["inFlight"]!.GetValue<int>());
            Assert.Equal(2, busy["capacity"]!["slotsLeased"]!.GetValue<int>());

            hold.Open();
            foreach (var request in running)
            {
                using var response = await request;
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.False(response.Headers.Contains("x-gateway-queue-ms"), "A request that did not wait has no queue time.");
            }

            using var queued = await third;
            Assert.Equal(HttpStatusCode.OK, queued.StatusCode);
            Assert.Equal("3000", Assert.Single(queued.Headers.GetValues("x-gateway-queue-ms")));
        }
        finally
        {
            hold.Open();
        }

        Assert.Equal(sent + 3, narrow.Stats.Requests);
    }

    [Fact]
    public async Task ARequestWaitingOnAFullDeploymentIs429CapacityExceededAtTheQueueTimeoutAndIsNotSent()
    {
        var (_, key) = await Gateway.CreateRoomyTenantAsync();
        using var client = Gateway.CreateTenantClient(key);
        var narrow = Mock("narrow-a");
        var sent = narrow.Stats.Requests;
        var hold = Gateway.MockHold;
        hold.Close();
        try
        {
            var running = Enumerable.Range(0, 2).Select(_ => client.ChatAsync("narrow")).ToList();
            await Eventually.HoldsAsync(() => Task.FromResult(hold.Waiting == 2), "both requests wait at the mock");
            var third = client.ChatAsync("narrow");
            await Eventually.HoldsAsync(() => Task.FromResult(Capacity.GetLoad("narrow#0").Queued == 1), "the third request waits in the deployment's queue");

            Gateway.Clock.Advance(TimeSpan.FromSeconds(30));

            using (var refused = await third)
            {
                await AssertOpenAiErrorAsync(refused, HttpStatusCode.TooManyRequests, "requests", null, "capacity_exceeded", "a request that waited out the queue timeout");
                Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero, "A capacity refusal says when to retry.");
            }

            Assert.Equal(0, Capacity.GetLoad("narrow#0").Queued);
            hold.Open();
            foreach (var request in running)
            {
                using var response = await request;
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }
        finally
        {
            hold.Open();
        }

        Assert.Equal(sent + 2, narrow.Stats.Requests);
    }

    [Fact]
    public async Task BeyondItsQueueBoundsAFullDeploymentAnswersAtOnce429ForTheTenantsFlood503WhenSaturated()
    {
        var (_, floodKey) = await Gateway.CreateRoomyTenantAsync();
        var (_, otherKey) = await Gateway.CreateRoomyTenantAsync();
        using var flood = Gateway.CreateTenantClient(floodKey);
        using var other = Gateway.CreateTenantClient(otherKey);
        var hold = Gateway.MockHold;
        hold.Close();
        var pending = new List<Task<HttpResponseMessage>>();
        try
        {
            pending.AddRange(Enumerable.Range(0, 2).Select(_ => flood.ChatAsync("narrow")));
            await Eventually.HoldsAsync(() => Task.FromResult(hold.Waiting == 2), "both slots are taken");
            pending.AddRange(Enumerable.Range(0, 4).Select(_ => flood.ChatAsync("narrow")));
            await Eventually.HoldsAsync(() => Task.FromResult(Capacity.GetLoad("narrow#0").Queued == 4), "the flood fills its place in the queue (4)");

            using (var tenantFull = await flood.ChatAsync("narrow"))
            {
                await AssertOpenAiErrorAsync(tenantFull, HttpStatusCode.TooManyRequests, "requests", null, "capacity_exceeded", "a fifth waiting request of one tenant");
                Assert.True(tenantFull.Headers.RetryAfter?.Delta > TimeSpan.Zero, "A capacity refusal says when to retry.");
            }

            pending.AddRange(Enumerable.Range(0, 2).Select(_ => other.ChatAsync("narrow")));
            await Eventually.HoldsAsync(() => Task.FromResult(Capacity.GetLoad("narrow#0").Queued == 6), "another tenant fills the deployment's queue (6)");
            using (var saturated = await other.ChatAsync("narrow"))
            {
                await AssertOpenAiErrorAsync(saturated, HttpStatusCode.ServiceUnavailable, "server_error", null, "capacity_exceeded", "a request on a deployment whose queue is full");
                Assert.True(saturated.Headers.RetryAfter?.Delta > TimeSpan.Zero, "A saturated deployment says when to retry.");
            }

            hold.Open();
            foreach (var request in pending)
            {
                using var response = await request;
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }
        finally
        {
            hold.Open();
        }
    }

    private static void AssertHealth(JsonObject deployment, string circuit, int calls, int failures)
    {
        AssertJson(deployment, "circuit", circuit);
        Expect.Equal(
            (calls, failures),
            (deployment["recentCalls"]!.GetValue<int>(), deployment["recentFailures"]!.GetValue<int>()),
            $"recentCalls, recentFailures: {deployment.ToJsonString()}");
    }

    private static void AssertJson(JsonNode node, string name, string expected) =>
        Expect.Equal(JsonValue.Create(expected).ToJsonString(), node[name]?.ToJsonString(), $"'{name}' in {node.ToJsonString()}");
}
