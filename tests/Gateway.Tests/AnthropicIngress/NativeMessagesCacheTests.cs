using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Providers.Anthropic;
using static Gateway.Tests.AnthropicIngress.NativeMessagesTests;

namespace Gateway.Tests.AnthropicIngress;

/// <summary>
/// A tenant's response cache and <c>/v1/messages</c> served natively: a whole answer Anthropic gave is stored per tenant
/// under the client's body and headers, a hit is that message relayed as given and charged as chat hits are (its stored
/// split of cache reads and writes); streams and answers cut short are never served from it.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class NativeMessagesCacheTests(GatewayFactory gateway)
{
    private const string NativeBeta = "prompt-caching-2024-07-31";

    [Fact]
    public async Task ANativeAnswerIsStoredAndAHitIsRelayedAsGivenAndChargedItsStoredCacheSplit()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync(new { tier = "gold", cache = new { enabled = true, ttlSeconds = 60, hitCostFraction = 0.5 } });
        using var client = CreateClient(key, NativeBeta);
        var body = JsonNode.Parse($$$"""
            {"model": "{{{Claude}}}", "max_tokens": 30, "temperature": 0, "metadata": {"user_id": "{{{tenantId}}}"},
             "mock": {"completion_tokens": 3, "cache_read_input_tokens": 40, "cache_creation_input_tokens": 10},
             "messages": [{"role": "user", "content": "Hello"}]}
            """)!;

        var first = await client.PostAsync("/v1/messages", Json(body));
        var second = await client.PostAsync("/v1/messages", Json(body));

        Assert.Equal(["MISS", "HIT"], new[] { first, second }.Select(r => r.Headers.GetValues("x-gateway-cache").Single()));
        var answer = await first.Content.ReadAsStringAsync();
        Assert.Equal(answer, await second.Content.ReadAsStringAsync());
        Assert.Equal(Claude, JsonNode.Parse(answer)!["model"]!.GetValue<string>());
        Assert.Equal(1, ReceivedCount(tenantId));

        // The hit is charged as a chat completion's hit: the tenant's fraction of the stored answer's cost, its input split
        // into uncached, cache reads and cache writes as the provider reported it.
        var usage = JsonNode.Parse(answer)!["usage"]!;
        var input = usage["input_tokens"]!.GetValue<long>() + 40 + 10;
        var output = usage["output_tokens"]!.GetValue<long>();
        var cost = ClaudePrices.CostUsd(input, 40, 10, output);
        var charged = await gateway.GetUsageAsync(tenantId);
        Assert.Equal((2L, cost + (cost * 0.5m), 1L), (charged["requests"]!.GetValue<long>(), charged["costUsd"]!.GetValue<decimal>(), charged["cacheHits"]!.GetValue<long>()));
        using var admin = gateway.CreateAdminClient();
        var ledger = (await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{tenantId}/ledger"))!["data"]!.AsArray();
        Assert.Equal(["completed", "cached"], ledger.Select(e => e!["outcome"]!.GetValue<string>()));
        Assert.Equal((input, 40L, 10L, output), (ledger[1]!["inputTokens"]!.GetValue<long>(), ledger[1]!["cachedInputTokens"]!.GetValue<long>(),
            ledger[1]!["cacheWriteTokens"]!.GetValue<long>(), ledger[1]!["outputTokens"]!.GetValue<long>()));

        // Other anthropic-beta values (or another version, or the beta endpoint) ask another question: a miss.
        using var otherBeta = CreateClient(key, beta: null);
        var third = await otherBeta.PostAsync("/v1/messages", Json(body));
        var fourth = await client.PostAsync("/v1/messages?beta=true", Json(body));
        Assert.Equal(["MISS", "MISS"], new[] { third, fourth }.Select(r => r.Headers.GetValues("x-gateway-cache").Single()));
        Assert.Equal(3, ReceivedCount(tenantId));

        // A stream is not replayed from a whole native message: it asks the provider.
        body["stream"] = true;
        var streamed = await client.PostAsync("/v1/messages", Json(body));
        Assert.Equal("MISS", streamed.Headers.GetValues("x-gateway-cache").Single());
        Assert.Equal("message_stop", MessageEvents.Read(await streamed.Content.ReadAsStringAsync())[^1].Name);
        Assert.Equal(4, ReceivedCount(tenantId));
    }

    [Fact]
    public async Task ANativeAnswerCutAtMaxTokensIsNotStored()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync(new { tier = "gold", cache = new { enabled = true, ttlSeconds = 60 } });
        using var client = CreateClient(key, NativeBeta);
        var body = JsonNode.Parse($$$"""{"model": "{{{Claude}}}", "max_tokens": 3, "temperature": 0, "metadata": {"user_id": "{{{tenantId}}}"}, "mock": {"completion_tokens": 9}, "messages": [{"role": "user", "content": "Hello"}]}""")!;

        var first = await client.PostAsync("/v1/messages", Json(body));
        var second = await client.PostAsync("/v1/messages", Json(body));

        Assert.Equal("max_tokens", JsonNode.Parse(await first.Content.ReadAsStringAsync())!["stop_reason"]!.GetValue<string>());
        Assert.Equal(["MISS", "MISS"], new[] { first, second }.Select(r => r.Headers.GetValues("x-gateway-cache").Single()));
        Assert.Equal(2, ReceivedCount(tenantId));
    }

    private int ReceivedCount(string tenantId) =>
        gateway.MockDeployments.Default.ReceivedMessages.All.Count(r => r.Text.Contains(tenantId, StringComparison.Ordinal));

    private HttpClient CreateClient(string key, string? beta)
    {
        var client = gateway.CreateClient();
        client.DefaultRequestHeaders.Add("x-api-key", key);
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        if (beta is not null)
        {
            client.DefaultRequestHeaders.Add("anthropic-beta", beta);
        }

        return client;
    }
}
