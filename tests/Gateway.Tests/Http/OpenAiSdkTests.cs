using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json.Nodes;
using Gateway.MockProvider;
using Gateway.Tests.Infrastructure;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Models;

namespace Gateway.Tests.Http;

/// <summary>The official OpenAI .NET SDK, pointed at the gateway, works as it does against OpenAI.</summary>
[Collection(GatewayCollection.Name)]
public sealed class OpenAiSdkTests(GatewayFactory gateway)
{
    [Fact]
    public async Task AChatCompletionReturnsTheTextAndTheUsageTheTenantIsCharged()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        var mockBefore = gateway.MockStats.Requests;
        var chat = CreateClient(key).GetChatClient("gpt-4.1");

        ClientResult<ChatCompletion> result = await chat.CompleteChatAsync(
            [new SystemChatMessage("You are terse."), new UserChatMessage("Say hello.")],
            new ChatCompletionOptions { MaxOutputTokenCount = 5 });

        var completion = result.Value;
        Assert.True(completion.Content.Count == 1, $"One content part expected, got {completion.Content.Count}.");
        Assert.True(completion.Content[0].Text == MockUsage.CompletionText(5), $"The mock's five tokens expected, got '{completion.Content[0].Text}'.");
        Assert.True(completion.FinishReason == ChatFinishReason.Stop, $"Finish reason should be stop, got {completion.FinishReason}.");
        Assert.True(completion.Usage.OutputTokenCount == 5, $"Five output tokens expected, got {completion.Usage.OutputTokenCount}.");
        Assert.True(completion.Usage.InputTokenCount > 0, "The prompt has tokens.");
        Assert.True(result.GetRawResponse().Headers.TryGetValue("x-request-id", out var requestId) && requestId!.StartsWith("req_", StringComparison.Ordinal),
            "The SDK sees the gateway's request id.");
        var usage = await gateway.GetUsageAsync(tenantId);
        Assert.True(usage["requests"]!.GetValue<long>() == 1, $"One request charged, got {usage["requests"]}.");
        Assert.True(usage["inputTokens"]!.GetValue<long>() == completion.Usage.InputTokenCount,
            $"Charged input {usage["inputTokens"]} should equal the reported {completion.Usage.InputTokenCount}.");
        Assert.True(usage["outputTokens"]!.GetValue<long>() == completion.Usage.OutputTokenCount,
            $"Charged output {usage["outputTokens"]} should equal the reported {completion.Usage.OutputTokenCount}.");
        var cost = (completion.Usage.InputTokenCount * 2.00m + completion.Usage.OutputTokenCount * 8.00m) / 1_000_000m;
        Assert.True(usage["costUsd"]!.GetValue<decimal>() == cost, $"Charged {usage["costUsd"]} USD, expected {cost}.");
        Assert.True(gateway.MockStats.Requests - mockBefore == 1, "The mock served exactly one request.");
    }

    [Fact]
    public async Task AStreamYieldsTheTextPiecesAndTheTenantIsChargedExactlyTheStreamedUsage()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        var chat = CreateClient(key).GetChatClient("gpt-4.1");
        var pieces = new List<string>();
        ChatTokenUsage? streamedUsage = null;
        var usageUpdates = 0;

        await foreach (var update in chat.CompleteChatStreamingAsync(
            [new UserChatMessage("Count to seven.")],
            new ChatCompletionOptions { MaxOutputTokenCount = 7 }))
        {
            pieces.AddRange(update.ContentUpdate.Select(part => part.Text).Where(text => text.Length > 0));
            if (update.Usage is not null)
            {
                streamedUsage = update.Usage;
                usageUpdates++;
            }
        }

        Assert.True(pieces.SequenceEqual(MockUsage.CompletionPieces(7)),
            $"The stream should yield the mock's seven pieces, got [{string.Join("|", pieces)}].");
        Assert.True(usageUpdates == 1, $"Exactly one usage update expected (the SDK asks for it), got {usageUpdates}.");
        Assert.True(streamedUsage!.OutputTokenCount == 7, $"Seven output tokens streamed, usage says {streamedUsage.OutputTokenCount}.");
        var usage = await gateway.GetUsageAsync(tenantId);
        Assert.True(usage["requests"]!.GetValue<long>() == 1, $"One request charged, got {usage["requests"]}.");
        Assert.True(usage["inputTokens"]!.GetValue<long>() == streamedUsage.InputTokenCount,
            $"Charged input {usage["inputTokens"]} should equal the streamed {streamedUsage.InputTokenCount}.");
        Assert.True(usage["outputTokens"]!.GetValue<long>() == streamedUsage.OutputTokenCount,
            $"Charged output {usage["outputTokens"]} should equal the streamed {streamedUsage.OutputTokenCount}.");
        Assert.True(usage["inFlight"]!.GetValue<int>() == 0, "The stream's reservation is settled.");
    }

    [Fact]
    public async Task AStreamChargesTheSameAsTheEquivalentCompletion()
    {
        var (streamTenant, streamKey) = await gateway.CreateTenantWithKeyAsync();
        var (plainTenant, plainKey) = await gateway.CreateTenantWithKeyAsync();
        ChatMessage[] messages = [new SystemChatMessage("Be brief."), new UserChatMessage("What is Orleans?")];
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 9 };

        await foreach (var _ in CreateClient(streamKey).GetChatClient("gpt-4.1").CompleteChatStreamingAsync(messages, options))
        {
        }

        await CreateClient(plainKey).GetChatClient("gpt-4.1").CompleteChatAsync(messages, new ChatCompletionOptions { MaxOutputTokenCount = 9 });

        var streamed = await gateway.GetUsageAsync(streamTenant);
        var plain = await gateway.GetUsageAsync(plainTenant);
        foreach (var field in new[] { "requests", "inputTokens", "outputTokens", "costUsd" })
        {
            Assert.True(JsonNode.DeepEquals(streamed[field], plain[field]),
                $"'{field}' should match: stream {streamed[field]} vs completion {plain[field]}.");
        }
    }

    [Fact]
    public async Task TheModelListIsTheTenantsAllowedModels()
    {
        var (_, key) = await gateway.CreateTenantWithKeyAsync(new { tier = "gold", allowedModels = new[] { "deepseek-chat", "gpt-4.1" } });

        ClientResult<OpenAIModelCollection> result = await CreateClient(key).GetOpenAIModelClient().GetModelsAsync();

        var ids = result.Value.Select(m => m.Id).Order(StringComparer.Ordinal).ToArray();
        Assert.True(ids.SequenceEqual(["deepseek-v3.2", "gpt-4.1"]), $"Expected exactly the allowed models, got [{string.Join(", ", ids)}].");
        Assert.True(result.Value.Single(m => m.Id == "deepseek-v3.2").OwnedBy == "deepseek", "A model is owned by its provider.");
    }

    [Fact]
    public async Task TheModelListOfATenantWithoutAModelListIsTheWholeCatalog()
    {
        var (_, key) = await gateway.CreateTenantWithKeyAsync();

        ClientResult<OpenAIModelCollection> result = await CreateClient(key).GetOpenAIModelClient().GetModelsAsync();

        var ids = result.Value.Select(m => m.Id).Order(StringComparer.Ordinal).ToArray();
        Assert.True(ids.SequenceEqual(["claude-sonnet-4.5", "deepseek-v3.2", "gemini-2.5-flash", "gpt-4.1"]),
            $"Expected the whole catalog, got [{string.Join(", ", ids)}].");
    }

    [Fact]
    public async Task ABadKeyRaisesAClientResultExceptionWithStatus401()
    {
        var chat = CreateClient("sk-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + "000000000000").GetChatClient("gpt-4.1");
        var mockBefore = gateway.MockStats.Requests;

        var exception = await Assert.ThrowsAsync<ClientResultException>(() =>
            chat.CompleteChatAsync([new UserChatMessage("Hello")], new ChatCompletionOptions { MaxOutputTokenCount = 5 }));

        Assert.True(exception.Status == 401, $"Expected 401, got {exception.Status}.");
        Assert.True(exception.Message.Contains("invalid_api_key", StringComparison.Ordinal), $"The SDK surfaces the error code: {exception.Message}");
        Assert.True(gateway.MockStats.Requests == mockBefore, "Nothing reached the provider.");
    }

    [Fact]
    public async Task ARateLimitedTenantRaisesAClientResultExceptionWithStatus429AndRetryAfter()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync(new { tier = "gold", limits = new { requestsPerMinute = 1 } });
        var chat = CreateClient(key).GetChatClient("gpt-4.1");
        ChatMessage[] messages = [new UserChatMessage("Hello")];
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 5 };
        await chat.CompleteChatAsync(messages, options);
        var usageBefore = await gateway.GetUsageAsync(tenantId);

        var exception = await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync(messages, options));

        Assert.True(exception.Status == 429, $"Expected 429, got {exception.Status}.");
        var response = exception.GetRawResponse();
        Assert.True(response is not null, "The exception carries the raw response.");
        Assert.True(response!.Headers.TryGetValue("Retry-After", out var retryAfter) && retryAfter == "60",
            $"A one-per-minute tenant waits a whole minute: Retry-After should be 60, got '{retryAfter}'.");
        Assert.True(response.Headers.TryGetValue("x-ratelimit-limit-requests", out var limit) && limit == "1",
            $"x-ratelimit-limit-requests should be 1, got '{limit}'.");
        Assert.True(response.Headers.TryGetValue("x-ratelimit-remaining-requests", out var remaining) && remaining == "0",
            $"x-ratelimit-remaining-requests should be 0, got '{remaining}'.");
        var error = JsonNode.Parse(response.Content.ToString())!["error"]!;
        Assert.True(error["code"]?.GetValue<string>() == "rate_limit_exceeded", $"The code is rate_limit_exceeded: {response.Content}");
        Assert.True(error["type"]?.GetValue<string>() == "requests", $"The type is requests: {response.Content}");
        var usageAfter = await gateway.GetUsageAsync(tenantId);
        Assert.True(JsonNode.DeepEquals(usageBefore, usageAfter), $"The refused call is not charged: {usageBefore.ToJsonString()} vs {usageAfter.ToJsonString()}");
    }

    [Fact]
    public async Task ARateLimitedTenantIsServedAgainOnceTheMinuteHasPassed()
    {
        var (_, key) = await gateway.CreateTenantWithKeyAsync(new { tier = "gold", limits = new { requestsPerMinute = 1 } });
        var chat = CreateClient(key).GetChatClient("gpt-4.1");
        ChatMessage[] messages = [new UserChatMessage("Hello")];
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 5 };
        await chat.CompleteChatAsync(messages, options);
        var refused = await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync(messages, options));
        Assert.True(refused.Status == 429, $"Expected 429 before the minute passed, got {refused.Status}.");

        gateway.Clock.Advance(TimeSpan.FromSeconds(60));
        ClientResult<ChatCompletion> served = await chat.CompleteChatAsync(messages, options);

        Assert.True(served.GetRawResponse().Status == 200, $"Served again after Retry-After, got {served.GetRawResponse().Status}.");
    }

    [Fact]
    public async Task AModelTheTenantMayNotUseRaisesAClientResultExceptionWithStatus403()
    {
        var (_, key) = await gateway.CreateTenantWithKeyAsync(new { tier = "gold", allowedModels = new[] { "gpt-4.1" } });
        var chat = CreateClient(key).GetChatClient("gemini-2.5-flash");

        var exception = await Assert.ThrowsAsync<ClientResultException>(() =>
            chat.CompleteChatAsync([new UserChatMessage("Hello")], new ChatCompletionOptions { MaxOutputTokenCount = 5 }));

        Assert.True(exception.Status == 403, $"Expected 403, got {exception.Status}.");
        Assert.True(exception.Message.Contains("model_not_allowed", StringComparison.Ordinal), $"The SDK surfaces the error code: {exception.Message}");
    }

    private OpenAIClient CreateClient(string key) => new(new ApiKeyCredential(key), new OpenAIClientOptions
    {
        Endpoint = new Uri(gateway.BaseAddress, "/v1"),
        Transport = new HttpClientPipelineTransport(gateway.CreateClient()),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
    });
}
