using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Caching;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Http;

/// <summary>
/// Every kind of token through the gateway, the mock reporting it as the provider would: OpenAI's cached and reasoning
/// tokens (inside <c>prompt_tokens</c> and <c>completion_tokens</c>), Anthropic's cache reads and five-minute and one-hour
/// cache writes (split in <c>cache_creation</c>, in <c>message_start</c> and <c>message_delta</c> when streamed). Each is
/// charged at its own price, and the usage API (the admin's and the tenant's own), its per-model and per-day rows and the
/// ledger show each kind, the cost exact to the last decimal.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class TokenKindsBillingTests(GatewayFactory gateway)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task OpenAiCachedTokensArePricedAsCacheReadsAndReasoningTokensAsTheOutputTheyArePartOf(bool stream)
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = gateway.CreateTenantClient(key);
        var body = ResponseCacheTests.Body(tenantId, stream: stream, includeUsage: stream,
            mock: new JsonObject { ["cache_read_input_tokens"] = 1_000, ["reasoning_tokens"] = 7 });

        var (response, text) = await ResponseCacheTests.PostAsync(client, body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var usage = ReportedUsage(text, stream);
        var prompt = ChatBodies.PromptTokens() + 1_000L;
        Assert.Equal((prompt, 1_000L, 12L, 7L), (usage["prompt_tokens"]!.GetValue<long>(), usage["prompt_tokens_details"]!["cached_tokens"]!.GetValue<long>(),
            usage["completion_tokens"]!.GetValue<long>(), usage["completion_tokens_details"]!["reasoning_tokens"]!.GetValue<long>()));

        // gpt-4.1: $2 input, $0.50 cached input, $8 output; the 1,000 cached tokens are inside prompt_tokens (Portkey #1564).
        var cost = ((prompt - 1_000) * 2.00m + 1_000 * 0.50m + 12 * 8.00m) / 1_000_000m;
        await AssertChargedAsync(tenantId, key, "gpt-4.1", new Kinds(prompt, 12, 1_000, 0, 0, 7), cost);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnthropicOneHourCacheWritesAreChargedTwiceTheInputAndFiveMinuteWritesOneAndAQuarter(bool stream)
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = gateway.CreateTenantClient(key);
        var body = Claude(stream, """mock: {"cache_read_input_tokens": 1000, "cache_creation_input_tokens": 200, "ephemeral_1h_input_tokens": 300}""");

        var (response, text) = await ResponseCacheTests.PostAsync(client, body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var usage = ReportedUsage(text, stream);
        var prompt = usage["prompt_tokens"]!.GetValue<long>();
        var uncached = prompt - 1_500;
        Assert.InRange(uncached, 1, 1_000);
        Assert.Equal((1_000L, 6L), (usage["prompt_tokens_details"]!["cached_tokens"]!.GetValue<long>(), usage["completion_tokens"]!.GetValue<long>()));

        // claude-sonnet-4.5: $3 input, $0.30 cache reads, $3.75 five-minute writes, $6 one-hour writes, $15 output.
        var cost = (uncached * 3.00m + 1_000 * 0.30m + 200 * 3.75m + 300 * 6.00m + 6 * 15.00m) / 1_000_000m;
        await AssertChargedAsync(tenantId, key, "claude-sonnet-4.5", new Kinds(prompt, 6, 1_000, 500, 300, 0), cost);
    }

    [Fact]
    public async Task AResponseCacheHitIsChargedWithTheSameSplitAsTheAnswerItRepeats()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync(new { tier = "gold", cache = new { enabled = true, hitCostFraction = 0.5 } });
        using var client = gateway.CreateTenantClient(key);
        var body = Claude(stream: false, """mock: {"cache_read_input_tokens": 1000, "cache_creation_input_tokens": 200, "ephemeral_1h_input_tokens": 300}""");
        body["temperature"] = 0;

        var (first, text) = await ResponseCacheTests.PostAsync(client, body);
        var (hit, _) = await ResponseCacheTests.PostAsync(client, body);

        Assert.Equal(("MISS", "HIT"), (ResponseCacheTests.CacheHeader(first), ResponseCacheTests.CacheHeader(hit)));
        var prompt = ReportedUsage(text, stream: false)["prompt_tokens"]!.GetValue<long>();
        var full = ((prompt - 1_500) * 3.00m + 1_000 * 0.30m + 200 * 3.75m + 300 * 6.00m + 6 * 15.00m) / 1_000_000m;
        var ledger = await LedgerAsync(tenantId);
        Assert.Equal(["completed", "cached"], ledger.Select(e => e["outcome"]!.GetValue<string>()));
        foreach (var entry in ledger)
        {
            Assert.Equal(new Kinds(prompt, 6, 1_000, 500, 300, 0), Kinds.Of(entry));
        }

        // Half the stored answer's cost with its cache reads and writes priced as they were, not the prompt as input.
        Assert.Equal((full, full * 0.5m), (ledger[0]["costUsd"]!.GetValue<decimal>(), ledger[1]["costUsd"]!.GetValue<decimal>()));
        Assert.NotEqual((prompt * 3.00m + 6 * 15.00m) / 1_000_000m * 0.5m, ledger[1]["costUsd"]!.GetValue<decimal>());
        Assert.Equal(full * 1.5m, (await gateway.GetUsageAsync(tenantId))["costUsd"]!.GetValue<decimal>());
    }

    /// <summary>The token kinds of a usage figure, a ledger row or a usage row, as one comparable value.</summary>
    private readonly record struct Kinds(long Input, long Output, long CachedInput, long CacheWrite, long CacheWrite1h, long Reasoning)
    {
        public static Kinds Of(JsonNode row) => new(
            row["inputTokens"]!.GetValue<long>(), row["outputTokens"]!.GetValue<long>(), row["cachedInputTokens"]!.GetValue<long>(),
            row["cacheWriteTokens"]!.GetValue<long>(), row["cacheWrite1hTokens"]!.GetValue<long>(), row["reasoningTokens"]!.GetValue<long>());
    }

    /// <summary>One request charged <paramref name="cost"/> for <paramref name="kinds"/>: in both usage APIs, their rows and the ledger.</summary>
    private async Task AssertChargedAsync(string tenantId, string key, string model, Kinds kinds, decimal cost)
    {
        using var tenant = gateway.CreateTenantClient(key);
        var own = (await tenant.GetFromJsonAsync<JsonObject>("/v1/usage"))!;
        foreach (var usage in new[] { await gateway.GetUsageAsync(tenantId), own })
        {
            Assert.Equal((1L, kinds, cost), (usage["requests"]!.GetValue<long>(), Kinds.Of(usage), usage["costUsd"]!.GetValue<decimal>()));
            var byModel = Assert.Single(usage["byModel"]!.AsArray())!;
            Assert.Equal((model, kinds, cost), (byModel["model"]!.GetValue<string>(), Kinds.Of(byModel), byModel["costUsd"]!.GetValue<decimal>()));
            var byDay = Assert.Single(usage["byDay"]!.AsArray())!;
            Assert.Equal((kinds, cost), (Kinds.Of(byDay), byDay["costUsd"]!.GetValue<decimal>()));
        }

        var entry = Assert.Single(await LedgerAsync(tenantId))!;
        Assert.Equal((kinds, cost), (Kinds.Of(entry), entry["costUsd"]!.GetValue<decimal>()));
    }

    private async Task<JsonNode[]> LedgerAsync(string tenantId)
    {
        using var admin = gateway.CreateAdminClient();
        return [.. (await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{tenantId}/ledger"))!["data"]!.AsArray().Select(e => e!)];
    }

    /// <summary>A chat request for the Claude model, whose provider is of kind <c>anthropic</c>, the directives in its system message.</summary>
    private static JsonObject Claude(bool stream, string directives)
    {
        var body = new JsonObject
        {
            ["model"] = "claude-sonnet-4.5",
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "system", ["content"] = directives },
                new JsonObject { ["role"] = "user", ["content"] = "Hello again." }),
            ["max_tokens"] = 6,
        };
        if (stream)
        {
            body["stream"] = true;
            body["stream_options"] = new JsonObject { ["include_usage"] = true };
        }

        return body;
    }

    /// <summary>The <c>usage</c> of a completion, or of the usage chunk that ends a stream.</summary>
    private static JsonNode ReportedUsage(string text, bool stream) =>
        stream
            ? text.Split('\n').Where(l => l.StartsWith("data: {", StringComparison.Ordinal))
                .Select(l => JsonNode.Parse(l["data: ".Length..])!["usage"]).Last(u => u is JsonObject)!
            : JsonNode.Parse(text)!["usage"]!;
}
