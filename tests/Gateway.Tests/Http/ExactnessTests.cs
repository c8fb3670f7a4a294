using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Http;

/// <summary>
/// Limits hold exactly under concurrency: 20×N simultaneous requests against a limit that covers N serve exactly
/// N, and the usage equals, to the token and the micro-dollar, what the provider reported.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class ExactnessTests(GatewayFactory gateway)
{
    private const int N = 5;
    private const int MaxTokens = 10;
    private static readonly object HighLimits = new { requestsPerMinute = 100_000, tokensPerMinute = 100_000_000, maxConcurrent = 10_000 };

    [Fact]
    public async Task BudgetCoveringNRequestsServesExactlyNOfTwentyTimesN()
    {
        var perRequest = ChatBodies.Gpt41CostUsd(ChatBodies.PromptTokens(), MaxTokens);
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync(new { tier = "platinum", monthlyBudgetUsd = perRequest * N, limits = HighLimits });

        var outcome = await FloodAsync(key, 20 * N);

        Assert.Equal(N, outcome.Served.Count);
        Assert.Equal(20 * N - N, outcome.Refused.Count);
        Assert.All(outcome.Refused, r => Assert.Equal((HttpStatusCode.TooManyRequests, "insufficient_quota"), r));
        await AssertUsageEqualsServedAsync(tenantId, outcome);
        var usage = await gateway.GetUsageAsync(tenantId);
        Assert.Equal(perRequest * N, usage["costUsd"]!.GetValue<decimal>());
        Assert.Equal(0m, usage["remainingBudgetUsd"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task RequestsPerMinuteBucketOfNServesExactlyNOfTwentyTimesN()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync(new
        {
            tier = "platinum",
            limits = new { requestsPerMinute = N, tokensPerMinute = 100_000_000, maxConcurrent = 10_000 },
        });

        var outcome = await FloodAsync(key, 20 * N);

        Assert.Equal(N, outcome.Served.Count);
        Assert.All(outcome.Refused, r => Assert.Equal((HttpStatusCode.TooManyRequests, "rate_limit_exceeded"), r));
        Assert.Equal(20 * N - N, outcome.Refused.Count);
        await AssertUsageEqualsServedAsync(tenantId, outcome);
    }

    [Fact]
    public async Task MonthlyTokenQuotaCoveringNRequestsServesExactlyNOfTwentyTimesN()
    {
        var perRequest = ChatBodies.PromptTokens() + MaxTokens;
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync(new { tier = "platinum", monthlyTokenQuota = perRequest * N, limits = HighLimits });

        var outcome = await FloodAsync(key, 20 * N);

        Assert.Equal(N, outcome.Served.Count);
        Assert.All(outcome.Refused, r => Assert.Equal((HttpStatusCode.TooManyRequests, "insufficient_quota"), r));
        await AssertUsageEqualsServedAsync(tenantId, outcome);
        Assert.Equal(0, (await gateway.GetUsageAsync(tenantId))["remainingTokens"]!.GetValue<long>());
    }

    [Fact]
    public async Task RefusedRequestsCarryRetryAfterAndRateLimitHeaders()
    {
        var (_, key) = await gateway.CreateTenantWithKeyAsync(new { tier = "bronze", limits = new { requestsPerMinute = 1 } });
        using var client = gateway.CreateTenantClient(key);

        var first = await client.PostAsJsonAsync("/v1/chat/completions", Body());
        var second = await client.PostAsJsonAsync("/v1/chat/completions", Body());

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("1", Header(first, "x-ratelimit-limit-requests"));
        Assert.Equal("0", Header(first, "x-ratelimit-remaining-requests"));
        Assert.Equal("1m0s", Header(first, "x-ratelimit-reset-requests"));
        Assert.StartsWith("req_", Header(first, "x-request-id"));
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(60), second.Headers.RetryAfter?.Delta);
        Assert.NotEqual(Header(first, "x-request-id"), Header(second, "x-request-id"));

        // One request per minute refills continuously: a minute later there is room again.
        gateway.Clock.Advance(TimeSpan.FromMinutes(1));
        var third = await client.PostAsJsonAsync("/v1/chat/completions", Body());
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
    }

    private static object Body() => new { model = "gpt-4.1", messages = ChatBodies.Messages(), max_tokens = MaxTokens };

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : $"<no {name}>";

    private async Task<FloodOutcome> FloodAsync(string key, int count)
    {
        using var client = gateway.CreateTenantClient(key);
        var responses = await Task.WhenAll(Enumerable.Range(0, count).Select(_ => client.PostAsJsonAsync("/v1/chat/completions", Body())));
        var served = new List<JsonObject>();
        var refused = new List<(HttpStatusCode, string?)>();
        foreach (var response in responses)
        {
            var json = await response.Content.ReadFromJsonAsync<JsonObject>();
            if (response.StatusCode == HttpStatusCode.OK)
            {
                served.Add(json!);
            }
            else
            {
                refused.Add((response.StatusCode, json!["error"]?["code"]?.GetValue<string>()));
            }
        }

        return new FloodOutcome(served, refused);
    }

    private async Task AssertUsageEqualsServedAsync(string tenantId, FloodOutcome outcome)
    {
        var input = outcome.Served.Sum(s => s["usage"]!["prompt_tokens"]!.GetValue<long>());
        var output = outcome.Served.Sum(s => s["usage"]!["completion_tokens"]!.GetValue<long>());
        var usage = await gateway.GetUsageAsync(tenantId);
        Assert.Equal(outcome.Served.Count, usage["requests"]!.GetValue<long>());
        Assert.Equal(input, usage["inputTokens"]!.GetValue<long>());
        Assert.Equal(output, usage["outputTokens"]!.GetValue<long>());
        Assert.Equal(ChatBodies.Gpt41CostUsd(input, output), usage["costUsd"]!.GetValue<decimal>());
        Assert.Equal(0, usage["inFlight"]!.GetValue<int>());
    }

    private sealed record FloodOutcome(List<JsonObject> Served, List<(HttpStatusCode Status, string? Code)> Refused);
}
