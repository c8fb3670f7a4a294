using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using StackExchange.Redis;

namespace Gateway.Tests.Caching;

/// <summary>
/// The response cache in real Redis: shared by separate gateways (an answer stored through one is a hit through the
/// other), and a Redis that goes away degrades every request to a miss, never to an error.
/// </summary>
[Collection(RealServersCollection.Name), Trait(TestSpeed.Category, TestSpeed.Slow)]
public sealed class RedisResponseCacheTests(RealServersFixture servers)
{
    [Fact]
    public async Task AnAnswerStoredThroughOneGatewayIsAHitThroughAnotherAndAnOutageIsOnlyMisses()
    {
        var port = ConfigurationOptions.Parse(servers.Redis).EndPoints[0] switch
        {
            IPEndPoint ip => ip.Port,
            DnsEndPoint dns => dns.Port,
            var other => throw new InvalidOperationException($"Unexpected Redis endpoint {other}"),
        };
        await using var relay = new TcpRelay(port);
        var tenantId = "t-" + Guid.NewGuid().ToString("N")[..12];
        var first = await StartAsync(relay);
        var second = await StartAsync(relay);
        try
        {
            using var one = await TenantClientAsync(first, tenantId);
            using var two = await TenantClientAsync(second, tenantId);

            var (stored, _) = await ResponseCacheTests.PostAsync(one, ResponseCacheTests.Body(tenantId));
            var (shared, _) = await ResponseCacheTests.PostAsync(two, ResponseCacheTests.Body(tenantId));
            Assert.Equal("MISS", ResponseCacheTests.CacheHeader(stored));
            Assert.Equal("HIT", ResponseCacheTests.CacheHeader(shared));
            Assert.Equal(1, first.MockStats.ByUser[tenantId].Requests);
            Assert.False(second.MockStats.ByUser.ContainsKey(tenantId));

            relay.Cut();
            var during = new List<string?>();
            for (var i = 0; i < 6; i++)
            {
                var (answer, text) = await ResponseCacheTests.PostAsync(two, ResponseCacheTests.Body(tenantId, seed: i));
                Expect.Equal(HttpStatusCode.OK, answer.StatusCode, text);
                during.Add(ResponseCacheTests.CacheHeader(answer));
            }

            Assert.All(during, header => Assert.Equal("MISS", header));
            Assert.Equal(6, second.MockStats.ByUser[tenantId].Requests);

            relay.Restore();
            var seed = 100;
            await Eventually.HoldsAsync(
                async () =>
                {
                    // A fresh request each round: the first gateway's in-process layer would answer an old one itself.
                    var body = ResponseCacheTests.Body(tenantId, seed: seed++);
                    await ResponseCacheTests.PostAsync(one, body);
                    var shared = ResponseCacheTests.CacheHeader((await ResponseCacheTests.PostAsync(two, body)).Response) == "HIT";
                    if (!shared)
                    {
                        await Task.Delay(TimeSpan.FromMilliseconds(250));
                    }

                    return shared;
                },
                "answers are shared again once Redis is back", TimeSpan.FromSeconds(30));
        }
        finally
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
        }
    }

    private static async Task<GatewayFactory> StartAsync(TcpRelay relay)
    {
        var gateway = new GatewayFactory { UseSystemClock = true };
        gateway.Settings["Gateway:Cache:Store"] = "Redis";
        gateway.Settings["ConnectionStrings:Redis"] = $"127.0.0.1:{relay.Port}";
        await gateway.InitializeAsync();
        return gateway;
    }

    /// <summary>The same tenant id on a gateway of its own (each embedded gateway keeps its own tenants), with the cache on.</summary>
    private static async Task<HttpClient> TenantClientAsync(GatewayFactory gateway, string tenantId)
    {
        using var admin = gateway.CreateAdminClient();
        var created = await admin.PostAsJsonAsync("/admin/tenants", new { id = tenantId, tier = "gold", cache = new { enabled = true } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var key = await (await admin.PostAsync($"/admin/tenants/{tenantId}/keys", null)).Content.ReadFromJsonAsync<JsonObject>();
        return gateway.CreateTenantClient(key!["key"]!.GetValue<string>());
    }
}
