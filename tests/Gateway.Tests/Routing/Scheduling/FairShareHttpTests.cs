using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.Grains.Routing;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Routing.Scheduling;

/// <summary>
/// A full deployment's fair queue seen through the HTTP API: a mock deployment with 8 slots, tenants of several tiers
/// (and a tenant whose own weight replaces its tier's) queued behind it, the mock's gate opened one batch of 8 at a time,
/// and the tenants' shares counted by the mock per tenant (each tags its requests with its <c>user</c>). The wait is in
/// the response header, the ledger row and the metrics.
/// </summary>
[Collection(FairShareGatewayCollection.Name)]
public sealed class FairShareHttpTests(FairShareGatewayFixture fixture)
{
    private const int Slots = 8;

    private GatewayFactory Gateway => fixture.Gateway;

    private DeploymentCapacity Capacity => Gateway.Services.GetRequiredService<DeploymentCapacity>();

    [Fact]
    public async Task FreedSlotsGoToTheTiersByWeightEightFourTwoOne()
    {
        var tenants = new List<(string User, string Key, int Queued)>();
        foreach (var (tier, queued) in new[] { ("platinum", 72), ("gold", 40), ("silver", 24), ("bronze", 16) })
        {
            var (_, key) = await CreateTenantAsync(new { tier, limits = RoomyLimits });
            tenants.Add((tier + "-" + Guid.NewGuid().ToString("N")[..6], key, queued));
        }

        // After the fillers' batch, 15 batches of 8 from the queue: 120 requests, 8 of the tiers' cycles of 15 (every
        // tenant has more queued than its share of them plus a batch).
        var served = await ServeInBatchesAsync(tenants, batches: 16);

        Assert.Equal(120, served.Values.Sum());
        Assert.InRange(served[tenants[0].User], 62, 66);
        Assert.InRange(served[tenants[1].User], 30, 34);
        Assert.InRange(served[tenants[2].User], 14, 18);
        Assert.InRange(served[tenants[3].User], 6, 10);
    }

    [Fact]
    public async Task ATenantsOwnFairShareWeightReplacesItsTiersAndNullPutsItBack()
    {
        var (bronzeId, bronzeKey) = await CreateTenantAsync(new { tier = "bronze", fairShareWeight = 8, limits = RoomyLimits });
        using (var admin = Gateway.CreateAdminClient())
        {
            var tenant = await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{bronzeId}");
            Assert.Equal(8, tenant!["fairShareWeight"]!.GetValue<int>());
            Assert.Equal(8, tenant["overrides"]!["fairShareWeight"]!.GetValue<int>());
        }

        var (_, platinumKey) = await CreateTenantAsync(new { tier = "platinum", limits = RoomyLimits });
        var bronze = "bronze8-" + Guid.NewGuid().ToString("N")[..6];
        var platinum = "platinum-" + Guid.NewGuid().ToString("N")[..6];

        var even = await ServeInBatchesAsync([(bronze, bronzeKey, 24), (platinum, platinumKey, 24)], batches: 4);

        // Weight 8 against weight 8: half each of the 24 counted, give or take the one whose turn it is.
        Assert.InRange(even[bronze], 11, 13);

        using (var admin = Gateway.CreateAdminClient())
        {
            using var patched = await admin.PatchAsJsonAsync($"/admin/tenants/{bronzeId}", new { fairShareWeight = (int?)null });
            var tenant = await patched.Content.ReadFromJsonAsync<JsonObject>();
            Assert.Equal(1, tenant!["fairShareWeight"]!.GetValue<int>());
            Assert.Null(tenant["overrides"]!["fairShareWeight"]);
        }

        var uneven = await ServeInBatchesAsync([(bronze, bronzeKey, 16), (platinum, platinumKey, 72)], batches: 10);

        // Back to bronze's weight 1 against 8: 8 of the 72 counted.
        Assert.InRange(uneven[bronze], 6, 10);
    }

    [Fact]
    public async Task AQueuedRequestsWaitIsInItsHeaderItsLedgerRowAndTheQueueMetrics()
    {
        var (tenantId, key) = await CreateTenantAsync(new { tier = "gold", limits = RoomyLimits });
        using var client = Gateway.CreateTenantClient(key);
        var before = await PrometheusScrape.ScrapeAsync(Gateway);
        var hold = Gateway.MockHold;
        hold.Close();
        List<Task<HttpResponseMessage>> running;
        Task<HttpResponseMessage> queued;
        try
        {
            running = Enumerable.Range(0, Slots).Select(_ => SendAsync(client, "metrics-" + tenantId)).ToList();
            await Eventually.HoldsAsync(() => Task.FromResult(hold.Waiting == Slots), "every slot's request waits at the mock");
            queued = SendAsync(client, "metrics-" + tenantId);
            await Eventually.HoldsAsync(() => Task.FromResult(Capacity.GetLoad(FairShareGatewayFixture.Deployment).Queued == 1), "the ninth request waits in the queue");

            var waiting = await PrometheusScrape.ScrapeAsync(Gateway);
            Assert.Equal(1, Assert.Single(waiting.Find("gateway_queue_depth", ("gateway_deployment", FairShareGatewayFixture.Deployment))).Number);
            Gateway.Clock.Advance(TimeSpan.FromMilliseconds(2_500));
        }
        finally
        {
            hold.Open();
        }

        foreach (var request in running)
        {
            using var response = await request;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using (var response = await queued)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("2500", Assert.Single(response.Headers.GetValues("x-gateway-queue-ms")));
        }

        var ledger = await LedgerAsync(tenantId);
        Assert.Equal(Slots + 1, ledger.Count);
        Assert.Equal([.. Enumerable.Repeat(0L, Slots), 2_500L], ledger.Select(e => e["queueWaitMs"]!.GetValue<long>()).Order());

        var after = await PrometheusScrape.ScrapeAsync(Gateway);
        var deployment = ("gateway_deployment", FairShareGatewayFixture.Deployment);
        Assert.Equal(1, Count(after, "gateway_queue_wait_seconds_count", deployment) - Count(before, "gateway_queue_wait_seconds_count", deployment));
        Assert.Equal(2.5, Count(after, "gateway_queue_wait_seconds_sum", deployment) - Count(before, "gateway_queue_wait_seconds_sum", deployment), 6);
        Assert.Equal(0, Assert.Single(after.Find("gateway_queue_depth", deployment)).Number);
    }

    private static object RoomyLimits => new { requestsPerMinute = 1_000_000, tokensPerMinute = 1_000_000_000L, maxConcurrent = 500 };

    private static double Count(PrometheusScrape scrape, string name, (string, string) label) => scrape.Find(name, label).Sum(s => s.Number);

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, string user) =>
        client.PostAsJsonAsync("/v1/chat/completions", new { model = FairShareGatewayFixture.Model, messages = ChatBodies.Messages("hi"), max_tokens = 1, user });

    private Task<(string TenantId, string Key)> CreateTenantAsync(object fields) => Gateway.CreateTenantWithKeyAsync(fields);

    /// <summary>
    /// Fills the deployment's 8 slots (held at the mock), queues each tenant's requests behind them, then lets the mock
    /// answer one batch of 8 at a time: each batch frees 8 slots, which the queue hands to the next 8 in its order, held at
    /// the mock in turn. Returns how many of each tenant's requests the mock served in the <paramref name="batches"/> batches
    /// (the first is the fillers'), then lets everything finish.
    /// </summary>
    private async Task<Dictionary<string, long>> ServeInBatchesAsync(IReadOnlyList<(string User, string Key, int Queued)> tenants, int batches)
    {
        var mock = Gateway.MockDeployments.Get(FairShareGatewayFixture.Upstream);
        var (_, fillerKey) = await CreateTenantAsync(new { tier = "gold", limits = RoomyLimits });
        var clients = tenants.Select(t => Gateway.CreateTenantClient(t.Key)).Append(Gateway.CreateTenantClient(fillerKey)).ToList();
        var requests = new List<Task<HttpResponseMessage>>();
        var hold = Gateway.MockHold;
        var baseline = tenants.ToDictionary(t => t.User, t => Served(mock, t.User));
        hold.Close();
        try
        {
            requests.AddRange(Enumerable.Range(0, Slots).Select(_ => SendAsync(clients[^1], "filler")));
            await Eventually.HoldsAsync(() => Task.FromResult(hold.Waiting == Slots), "the fillers take every slot");
            var queued = 0;
            for (var i = 0; i < tenants.Count; i++)
            {
                for (var n = 0; n < tenants[i].Queued; n++)
                {
                    requests.Add(SendAsync(clients[i], tenants[i].User));
                    queued++;
                    if (n % 8 == 7)
                    {
                        // A tenant's requests all wait before the next tenant's come, as a backlog does.
                        await Eventually.HoldsAsync(() => Task.FromResult(Capacity.GetLoad(FairShareGatewayFixture.Deployment).Queued == queued), "the requests queue");
                    }
                }

                await Eventually.HoldsAsync(() => Task.FromResult(Capacity.GetLoad(FairShareGatewayFixture.Deployment).Queued == queued), "the tenant's requests queue");
            }

            for (var batch = 0; batch < batches; batch++)
            {
                var answered = mock.Stats.Requests;
                hold.Release();
                await Eventually.HoldsAsync(
                    () => Task.FromResult(mock.Stats.Requests >= answered + Slots && hold.Waiting == Slots),
                    $"batch {batch + 1}: 8 answered and the next 8 from the queue held at the mock");
            }

            return tenants.ToDictionary(t => t.User, t => Served(mock, t.User) - baseline[t.User]);
        }
        finally
        {
            hold.Open();
            foreach (var request in requests)
            {
                using var response = await request;
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            clients.ForEach(c => c.Dispose());
        }
    }

    private static long Served(MockProvider.MockDeployment mock, string user) =>
        mock.Stats.ByUser.TryGetValue(user, out var counters) ? counters.Requests : 0;

    private async Task<List<JsonObject>> LedgerAsync(string tenantId)
    {
        using var admin = Gateway.CreateAdminClient();
        var page = await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{tenantId}/ledger?limit=100");
        return [.. page!["data"]!.AsArray().Select(e => e!.AsObject())];
    }
}

/// <summary>An embedded gateway of its own whose model <see cref="Model"/> is one mock deployment with 8 slots.</summary>
public sealed class FairShareGatewayFixture : IAsyncLifetime
{
    public const string Model = "fairshare";
    public const string Upstream = "fairshare-a";
    public const string Deployment = Model + "#0";

    public FairShareGatewayFixture()
    {
        Gateway.Settings["Gateway:Scheduling:MaxQueuedPerTenant"] = "200";
        Gateway.Settings["Gateway:Scheduling:MaxQueuedPerDeployment"] = "1000";
        Gateway.AddModel(Model, [new(Upstream, MaxConcurrent: 8)]);
    }

    public GatewayFactory Gateway { get; } = new();

    public Task InitializeAsync() => Gateway.InitializeAsync();

    public Task DisposeAsync() => ((IAsyncLifetime)Gateway).DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class FairShareGatewayCollection : ICollectionFixture<FairShareGatewayFixture>
{
    public const string Name = "fair share gateway";
}
