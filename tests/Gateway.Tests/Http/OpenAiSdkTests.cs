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
        Assert.Equal(MockUsage.CompletionText(5), Assert.Single(completion.Content).Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(5, completion.Usage.OutputTokenCount);
        Assert.InRange(completion.Usage.InputTokenCount, 1, int.MaxValue);
        Assert.True(result.GetRawResponse().Headers.TryGetValue("x-request-id", out var requestId), "The SDK sees the gateway's request id.");
        Assert.StartsWith("req_", requestId);
        var usage = await gateway.GetUsageAsync(tenantId);
        Assert.Equal(
            (1L, (long)completion.Usage.InputTokenCount, 5L, ChatBodies.Gpt41CostUsd(completion.Usage.InputTokenCount, 5)),
            UsageFigures.Charged(usage));
        Assert.Equal(mockBefore + 1, gateway.MockStats.Requests);
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

        Assert.Equal(MockUsage.CompletionPieces(7), pieces);
        Assert.Equal(1, usageUpdates); // the SDK asks for the usage chunk
        Assert.Equal(7, streamedUsage!.OutputTokenCount);
        Assert.InRange(streamedUsage.InputTokenCount, 1, int.MaxValue);
        var usage = await gateway.GetUsageAsync(tenantId);
        Assert.Equal(
            (1L, (long)streamedUsage.InputTokenCount, 7L, ChatBodies.Gpt41CostUsd(streamedUsage.InputTokenCount, 7)),
            UsageFigures.Charged(usage));
        Assert.Equal(0, usage["inFlight"]!.GetValue<int>());
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

        var completion = (await CreateClient(plainKey).GetChatClient("gpt-4.1").CompleteChatAsync(messages, new ChatCompletionOptions { MaxOutputTokenCount = 9 })).Value;

        // Both charged what the completion reported (not merely the same, which two empty usages would be).
        var input = completion.Usage.InputTokenCount;
        Assert.InRange(input, 1, int.MaxValue);
        var expected = (1L, (long)input, 9L, ChatBodies.Gpt41CostUsd(input, 9));
        Assert.Equal(expected, UsageFigures.Charged(await gateway.GetUsageAsync(plainTenant)));
        Assert.Equal(expected, UsageFigures.Charged(await gateway.GetUsageAsync(streamTenant)));
    }

    [Fact]
    public async Task TheModelListIsTheTenantsAllowedModels()
    {
        var (_, key) = await gateway.CreateTenantWithKeyAsync(new { tier = "gold", allowedModels = new[] { "deepseek-chat", "gpt-4.1" } });

        ClientResult<OpenAIModelCollection> result = await CreateClient(key).GetOpenAIModelClient().GetModelsAsync();

        var ids = result.Value.Select(m => m.Id).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["deepseek-v3.2", "gpt-4.1"], ids);
        Assert.Equal("deepseek", result.Value.Single(m => m.Id == "deepseek-v3.2").OwnedBy);
    }

    [Fact]
    public async Task TheModelListOfATenantWithoutAModelListIsTheWholeCatalog()
    {
        var (_, key) = await gateway.CreateTenantWithKeyAsync();

        ClientResult<OpenAIModelCollection> result = await CreateClient(key).GetOpenAIModelClient().GetModelsAsync();

        var ids = result.Value.Select(m => m.Id).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["claude-sonnet-4.5", "deepseek-v3.2", "gemini-2.5-flash", "gpt-4.1"], ids);
    }

    [Fact]
    public async Task ABadKeyRaisesAClientResultExceptionWithStatus401()
    {
        var chat = CreateClient("sk-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + "000000000000").GetChatClient("gpt-4.1");
        var mockBefore = gateway.MockStats.Requests;

        var exception = await Assert.ThrowsAsync<ClientResultException>(() =>
            chat.CompleteChatAsync([new UserChatMessage("Hello")], new ChatCompletionOptions { MaxOutputTokenCount = 5 }));

        Assert.Equal(401, exception.Status);
        Assert.Contains("invalid_api_key", exception.Message, StringComparison.Ordinal);
        Assert.Equal(mockBefore, gateway.MockStats.Requests);
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

        Assert.Equal(429, exception.Status);
        var response = exception.GetRawResponse();
        Assert.NotNull(response);
        // A one-per-minute tenant waits a whole minute; its one request is used.
        Assert.Equal(
            ("60", "1", "0"),
            (Header(response, "Retry-After"), Header(response, "x-ratelimit-limit-requests"), Header(response, "x-ratelimit-remaining-requests")));
        var error = JsonNode.Parse(response.Content.ToString())!["error"]!;
        Expect.Equal("rate_limit_exceeded", error["code"]?.GetValue<string>(), response.Content.ToString());
        Expect.Equal("requests", error["type"]?.GetValue<string>(), response.Content.ToString());
        var usageAfter = await gateway.GetUsageAsync(tenantId);
        Expect.JsonEqual(usageBefore, usageAfter, "The refused call is not charged");
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
        Assert.Equal(429, refused.Status);

        gateway.Clock.Advance(TimeSpan.FromSeconds(60));
        ClientResult<ChatCompletion> served = await chat.CompleteChatAsync(messages, options);

        Assert.Equal(200, served.GetRawResponse().Status);
    }

    [Fact]
    public async Task AModelTheTenantMayNotUseRaisesAClientResultExceptionWithStatus403()
    {
        var (_, key) = await gateway.CreateTenantWithKeyAsync(new { tier = "gold", allowedModels = new[] { "gpt-4.1" } });
        var chat = CreateClient(key).GetChatClient("gemini-2.5-flash");

        var exception = await Assert.ThrowsAsync<ClientResultException>(() =>
            chat.CompleteChatAsync([new UserChatMessage("Hello")], new ChatCompletionOptions { MaxOutputTokenCount = 5 }));

        Assert.Equal(403, exception.Status);
        Assert.Contains("model_not_allowed", exception.Message, StringComparison.Ordinal);
    }

    private static string? Header(PipelineResponse response, string name) => response.Headers.TryGetValue(name, out var value) ? value : null;

    private OpenAIClient CreateClient(string key) => new(new ApiKeyCredential(key), new OpenAIClientOptions
    {
        Endpoint = new Uri(gateway.BaseAddress, "/v1"),
        Transport = new HttpClientPipelineTransport(gateway.CreateClient()),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
    });
}
