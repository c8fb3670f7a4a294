using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using static Gateway.Tests.Infrastructure.OpenAiErrorAssertions;

namespace Gateway.Tests.Http;

/// <summary>
/// A megabyte prompt of one repeated letter used to keep a core busy for minutes before admission: it is now refused
/// at once by a tenant whose limits cannot allow it, and served, charged what the provider reports, by one that can.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class LargePromptTests(GatewayFactory gateway)
{
    private static readonly string OneLetterMiB = new('a', 1024 * 1024);

    [Fact]
    public async Task AMebibyteOfOneLetterFromATenantWithA100TokenQuotaIsRefusedAtOnceAndChargesNothing()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync(new { tier = "gold", monthlyTokenQuota = 100 });
        using var client = gateway.CreateTenantClient(key);
        var mockBefore = gateway.MockStats.Requests;
        var clock = Stopwatch.StartNew();

        using var response = await client.PostAsJsonAsync("/v1/chat/completions",
            new { model = "gpt-4.1", messages = new[] { new { role = "user", content = OneLetterMiB } }, max_tokens = 5 });

        await AssertOpenAiErrorAsync(response, HttpStatusCode.TooManyRequests, "insufficient_quota", null, "insufficient_quota", "1 MiB prompt, 100-token quota");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"The refusal took {clock.Elapsed}.");
        var usage = await gateway.GetUsageAsync(tenantId);
        Expect.Equal(
            (0L, 0L, 0L),
            (usage["requests"]!.GetValue<long>(), usage["inputTokens"]!.GetValue<long>(), usage["reservedTokens"]!.GetValue<long>()),
            $"Nothing may be charged or reserved (requests, input tokens, reserved tokens): {usage}");
        Assert.Equal(mockBefore, gateway.MockStats.Requests);
    }

    [Fact]
    public async Task AMebibyteOfOneLetterOverTheTokensPerMinuteIsRefusedAsTooLarge()
    {
        var (_, key) = await gateway.CreateTenantWithKeyAsync(new { tier = "gold", limits = new { tokensPerMinute = 10_000 } });
        using var client = gateway.CreateTenantClient(key);

        using var response = await client.PostAsJsonAsync("/v1/chat/completions",
            new { model = "gpt-4.1", messages = new[] { new { role = "user", content = OneLetterMiB } }, max_tokens = 5 });

        await AssertOpenAiErrorAsync(response, HttpStatusCode.TooManyRequests, "tokens", null, "rate_limit_exceeded", "1 MiB prompt, 10k tokens per minute");
    }

    [Fact]
    public async Task AMebibyteOfOneLetterWithinTheLimitsIsServedAndChargedWhatTheProviderReports()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync(new { tier = "platinum" });
        using var client = gateway.CreateTenantClient(key);

        using var response = await client.PostAsJsonAsync("/v1/chat/completions",
            new { model = "gpt-4.1", messages = new[] { new { role = "user", content = OneLetterMiB } }, max_tokens = 5 });

        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        Expect.Equal(HttpStatusCode.OK, response.StatusCode, $"{body}");
        var usage = await gateway.GetUsageAsync(tenantId);
        Assert.Equal(ChatBodies.PromptTokens(OneLetterMiB), body!["usage"]!["prompt_tokens"]!.GetValue<long>());
        Assert.Equal(ChatBodies.PromptTokens(OneLetterMiB), usage["inputTokens"]!.GetValue<long>());
        Assert.Equal(0L, usage["reservedTokens"]!.GetValue<long>());
    }

    [Fact]
    public async Task ALargeOrdinaryPromptIsCountedExactlyAsTheProviderCountsIt()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync(new { tier = "gold" });
        using var client = gateway.CreateTenantClient(key);
        var prose = string.Concat(Enumerable.Repeat("The quick brown fox jumps over the lazy dog. ", 2_000));

        using var response = await client.PostAsJsonAsync("/v1/chat/completions",
            new { model = "gpt-4.1", messages = new[] { new { role = "user", content = prose } }, max_tokens = 5 });

        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        Expect.Equal(HttpStatusCode.OK, response.StatusCode, $"{body}");
        Assert.Equal(ChatBodies.PromptTokens(prose), body!["usage"]!["prompt_tokens"]!.GetValue<long>());
        Assert.Equal(ChatBodies.PromptTokens(prose), (await gateway.GetUsageAsync(tenantId))["inputTokens"]!.GetValue<long>());
    }
}
