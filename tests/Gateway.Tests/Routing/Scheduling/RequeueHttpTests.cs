using System.Net;
using System.Net.Http.Json;
using Gateway.Grains.Routing;
using Gateway.MockProvider;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Routing.Scheduling;

/// <summary>
/// A request that waited in a full deployment's queue and whose attempt failed, through the HTTP API: it is retried on
/// the deployment and keeps its place, so a request that arrived while its attempt ran does not overtake it. The
/// deployment's 8 slots: 7 held by slow requests, 1 by the request under test (parked at the mock's gate). The later
/// request is slow too: had it taken the slot the failed attempt gave up, the request under test could not be answered.
/// </summary>
[Collection(RequeueGatewayCollection.Name)]
public sealed class RequeueHttpTests(FairShareGatewayFixture fixture)
{
    private const int Slots = 8;

    private GatewayFactory Gateway => fixture.Gateway;

    private DeploymentLoad Load => Gateway.Services.GetRequiredService<DeploymentCapacity>().GetLoad(FairShareGatewayFixture.Deployment);

    [Fact]
    public async Task ARequestWhoseAttemptFailedAfterWaitingIsServedBeforeOneThatArrivedMeanwhile()
    {
        using var slow = Gateway.CreateTenantClient((await CreateTenantAsync()).Key);
        using var returning = Gateway.CreateTenantClient((await CreateTenantAsync()).Key);
        using var later = Gateway.CreateTenantClient((await CreateTenantAsync()).Key);
        var mock = Gateway.MockDeployments.Get(FairShareGatewayFixture.Upstream);
        var hold = Gateway.MockHold;
        using var stopSlow = new CancellationTokenSource();
        var inFlight = mock.Stats.InFlight;
        Task<HttpResponseMessage> late;
        var slowRequests = new List<Task<HttpResponseMessage>>();

        // The slow requests go past the gate together, before any other request comes: none can still be on its way to
        // the gate when the filler arrives there.
        hold.Close();
        try
        {
            slowRequests.AddRange(Enumerable.Range(0, Slots - 1).Select(_ => SendAsync(slow, "slow", new { latency_ms = 600_000 }, stopSlow.Token)));
            await Eventually.HoldsAsync(() => Task.FromResult(hold.Waiting == Slots - 1 && Load.InFlight == Slots - 1), "7 slow requests hold 7 slots, at the mock's gate");
            hold.Release();
            await Eventually.HoldsAsync(
                () => Task.FromResult(hold.Waiting == 0 && mock.Stats.InFlight == inFlight + Slots - 1),
                "the 7 slow requests are past the gate, stalling at the mock");
            using (var filler = Gateway.CreateTenantClient((await CreateTenantAsync()).Key))
            {
                var filling = SendAsync(filler, "filler");
                await Eventually.HoldsAsync(() => Task.FromResult(hold.Waiting == 1 && Load.InFlight == Slots), "the filler holds the last slot at the gate");
                var first = SendAsync(returning, "returning");
                await Eventually.HoldsAsync(() => Task.FromResult(Load.Queued == 1), "the request under test waits in the queue");

                // The filler, alone at the gate, is let through and answered; its slot goes to the request under test,
                // which parks at the gate (closed behind the filler in the same step).
                hold.Release();
                using (var filled = await filling)
                {
                    Assert.Equal(HttpStatusCode.OK, filled.StatusCode);
                }

                await Eventually.HoldsAsync(
                    () => Task.FromResult(hold.Waiting == 1 && Load.Queued == 0 && Load.InFlight == Slots),
                    "the request under test is at the gate");
                late = SendAsync(later, "later", new { latency_ms = 600_000 }, stopSlow.Token);
                await Eventually.HoldsAsync(() => Task.FromResult(Load.Queued == 1), "a later request waits in the queue");

                // Its attempt fails once: it is retried on the deployment, back in the queue ahead of the later request.
                mock.Faults.Enqueue(new MockFault { Status = 500 });
                hold.Open();
                using var answered = await first.WaitAsync(TimeSpan.FromSeconds(30));
                Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
                Assert.Equal(0, mock.Faults.Count);
            }

            await Eventually.HoldsAsync(
                () => Task.FromResult(Load.Queued == 0 && mock.Stats.InFlight == inFlight + Slots),
                "the later request is served once the request under test is done");
        }
        finally
        {
            hold.Open();
            await stopSlow.CancelAsync();
            foreach (var request in slowRequests)
            {
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);
            }
        }

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => late);
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, string user) =>
        client.PostAsJsonAsync("/v1/chat/completions", new { model = FairShareGatewayFixture.Model, messages = ChatBodies.Messages("hi"), max_tokens = 1, user });

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, string user, object mock, CancellationToken cancellationToken) =>
        client.PostAsJsonAsync(
            "/v1/chat/completions",
            new { model = FairShareGatewayFixture.Model, messages = ChatBodies.Messages("hi"), max_tokens = 1, user, mock },
            cancellationToken);

    private Task<(string TenantId, string Key)> CreateTenantAsync() =>
        Gateway.CreateTenantWithKeyAsync(new { tier = "gold", limits = new { requestsPerMinute = 1_000_000, tokensPerMinute = 1_000_000_000L, maxConcurrent = 500 } });
}

/// <summary>A gateway of its own (the fair-share one's type): no capacity, queue or remembered refusal left from other tests.</summary>
[CollectionDefinition(Name)]
public sealed class RequeueGatewayCollection : ICollectionFixture<FairShareGatewayFixture>
{
    public const string Name = "requeue gateway";
}
