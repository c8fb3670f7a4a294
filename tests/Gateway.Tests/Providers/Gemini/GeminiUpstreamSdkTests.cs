using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.MockProvider;
using Gateway.Tests.Infrastructure;
using OpenAI;
using OpenAI.Chat;

namespace Gateway.Tests.Providers.Gemini;

/// <summary>
/// The official OpenAI .NET SDK against <c>gemini-2.5-flash</c>, whose built-in provider is of kind <c>gemini</c>: the
/// gateway translates each request to <c>generateContent</c> (the mock's <c>/v1beta/models/…</c>) and each answer, plain or
/// streamed (CRLF-framed events without an end event), back. Directives reach the mock as a system message reading
/// <c>mock: {...}</c>, which the translation keeps as a <c>systemInstruction</c> part.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class GeminiUpstreamSdkTests(GatewayFactory gateway)
{
    private const string Model = "gemini-2.5-flash";

    /// <summary>The tokens of thought the mock reports whenever a thinking budget is set.</summary>
    private const int MockThoughtTokens = 4;

    private static readonly ChatTool Weather = ChatTool.CreateFunctionTool("get_weather", "The weather in a city.",
        BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city"],"additionalProperties":false}"""));

    private static readonly ChatTool Time = ChatTool.CreateFunctionTool("get_time", "The time now.",
        BinaryData.FromString("""{"type":"object","properties":{}}"""));

    [Fact]
    public async Task AChatCompletionIsTranslatedBothWaysAndTheTenantIsChargedTheReportedUsage()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        var mockBefore = gateway.MockStats.Requests;

        var completion = (await Chat(key).CompleteChatAsync(
            [new SystemChatMessage("You are terse."), new UserChatMessage("Say hello.")],
            new ChatCompletionOptions { MaxOutputTokenCount = 5 })).Value;

        Assert.Equal(MockUsage.CompletionText(5), Assert.Single(completion.Content).Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(Model, completion.Model);
        Assert.Equal(5, completion.Usage.OutputTokenCount);
        Assert.InRange(completion.Usage.InputTokenCount, 1, int.MaxValue);
        Assert.Equal(0, completion.Usage.InputTokenDetails.CachedTokenCount);
        Assert.Equal(mockBefore + 1, gateway.MockStats.Requests);
        Assert.Equal(
            (1L, (long)completion.Usage.InputTokenCount, 5L, GeminiPrices.CostUsd(completion.Usage.InputTokenCount, 0, 5)),
            UsageFigures.Charged(await gateway.GetUsageAsync(tenantId)));
    }

    [Fact]
    public async Task AStreamIsTranslatedToOpenAiChunksAndChargedTheLastUsageMetadata()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        var pieces = new List<string>();
        ChatTokenUsage? streamedUsage = null;
        ChatFinishReason? finish = null;

        await foreach (var update in Chat(key).CompleteChatStreamingAsync([new UserChatMessage("Count to seven.")], new ChatCompletionOptions { MaxOutputTokenCount = 7 }))
        {
            pieces.AddRange(update.ContentUpdate.Select(part => part.Text).Where(text => text.Length > 0));
            streamedUsage = update.Usage ?? streamedUsage;
            finish = update.FinishReason ?? finish;
        }

        Assert.Equal(MockUsage.CompletionPieces(7), pieces);
        Assert.Equal(ChatFinishReason.Stop, finish);

        // Every event carried the running usage (1, 2, ... 7 candidates): the last one is the usage, never their sum.
        Assert.Equal(7, streamedUsage!.OutputTokenCount);
        var usage = await gateway.GetUsageAsync(tenantId);
        Assert.Equal(
            (1L, (long)streamedUsage.InputTokenCount, 7L, GeminiPrices.CostUsd(streamedUsage.InputTokenCount, 0, 7)),
            UsageFigures.Charged(usage));
        Assert.Equal(0, usage["inFlight"]!.GetValue<int>());
    }

    [Fact]
    public async Task StopWithFunctionCallsIsToolCallsAndTheResultsGoBackByName()
    {
        var (_, key) = await gateway.CreateTenantWithKeyAsync();
        var chat = Chat(key);
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 3, Tools = { Time, Weather } };
        List<ChatMessage> messages = [new SystemChatMessage("""mock: {"tool_calls": 2}"""), new UserChatMessage("Time, then weather?")];

        // Gemini says STOP for an answer that calls functions (LiteLLM #21041): OpenAI's is tool_calls.
        var completion = (await chat.CompleteChatAsync(messages, options)).Value;

        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        Assert.Equal(["get_time", "get_weather"], completion.ToolCalls.Select(c => c.FunctionName));
        Assert.Equal(2, completion.ToolCalls.Select(c => c.Id).Distinct().Count());
        Assert.Equal("{}", completion.ToolCalls[0].FunctionArguments.ToString());
        Assert.Equal("""{"city":"Zürich \"1\"","days":2}""", completion.ToolCalls[1].FunctionArguments.ToString());

        // The round trip: the calls and their results (matched to their names through the ids) go back, and the model answers.
        messages[0] = new SystemChatMessage("Use the tools' results.");
        messages.Add(new AssistantChatMessage(completion.ToolCalls));
        messages.Add(new ToolChatMessage(completion.ToolCalls[0].Id, "12:00"));
        messages.Add(new ToolChatMessage(completion.ToolCalls[1].Id, "sunny"));
        var answer = (await chat.CompleteChatAsync(messages, options)).Value;

        Assert.Equal(ChatFinishReason.Stop, answer.FinishReason);
        Assert.Equal(MockUsage.CompletionText(3), Assert.Single(answer.Content).Text);
    }

    [Fact]
    public async Task StreamedFunctionCallsKeepTheirOwnIndexAndArriveWholeWithTheToolCallsFinishReason()
    {
        var (_, key) = await gateway.CreateTenantWithKeyAsync();
        var ids = new Dictionary<int, string>();
        var names = new Dictionary<int, string>();
        var arguments = new Dictionary<int, System.Text.StringBuilder>();
        ChatFinishReason? finish = null;

        await foreach (var update in Chat(key).CompleteChatStreamingAsync(
            [new SystemChatMessage("""mock: {"tool_calls": 3}"""), new UserChatMessage("Weather and time?")],
            new ChatCompletionOptions { MaxOutputTokenCount = 2, Tools = { Weather, Time } }))
        {
            foreach (var call in update.ToolCallUpdates)
            {
                if (call.ToolCallId is { } id) ids[call.Index] = id;
                if (call.FunctionName is { } name) names[call.Index] = name;
                if (call.FunctionArgumentsUpdate is { } piece && !piece.ToMemory().IsEmpty)
                {
                    (arguments.TryGetValue(call.Index, out var text) ? text : arguments[call.Index] = new()).Append(piece.ToString());
                }
            }

            finish = update.FinishReason ?? finish;
        }

        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        Assert.Equal([0, 1, 2], ids.Keys.Order());
        Assert.Equal(3, ids.Values.Distinct().Count());
        Assert.Equal(["get_weather", "get_time", "get_weather"], names.OrderBy(n => n.Key).Select(n => n.Value));
        Assert.Equal("""{"city":"Zürich \"0\"","days":1}""", arguments[0].ToString());
        Assert.Equal("{}", arguments[1].ToString());
        Assert.Equal("""{"city":"Zürich \"2\"","days":3}""", arguments[2].ToString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CachedInputIsPricedAsCacheReadsAndThoughtsAreCompletionTokensPricedAsOutput(bool stream)
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        ChatMessage[] messages = [new SystemChatMessage("""mock: {"cache_read_input_tokens": 1000}"""), new UserChatMessage("Think, then answer.")];
#pragma warning disable OPENAI001 // reasoning_effort is still marked experimental in the SDK
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 6, ReasoningEffortLevel = ChatReasoningEffortLevel.Low };
#pragma warning restore OPENAI001
        ChatTokenUsage usage;
        if (stream)
        {
            ChatTokenUsage? last = null;
            await foreach (var update in Chat(key).CompleteChatStreamingAsync(messages, options))
            {
                last = update.Usage ?? last;
            }

            usage = last!;
        }
        else
        {
            usage = (await Chat(key).CompleteChatAsync(messages, options)).Value.Usage;
        }

        // prompt_tokens includes the cached input (Gemini's promptTokenCount does); completion_tokens the thoughts
        // (Portkey PR #1458): six tokens of answer and the mock's four of thought.
        var uncached = usage.InputTokenCount - 1_000;
        Assert.InRange(uncached, 1, int.MaxValue);
        Assert.Equal(1_000, usage.InputTokenDetails.CachedTokenCount);
        Assert.Equal(10, usage.OutputTokenCount);
        Assert.Equal(MockThoughtTokens, usage.OutputTokenDetails.ReasoningTokenCount);

        // Cache reads at their own price, not as input (LiteLLM #11789, #9812).
        var cost = GeminiPrices.CostUsd(usage.InputTokenCount, 1_000, 10);
        Assert.Equal((uncached * 0.30m + 1_000 * 0.03m + 10 * 2.50m) / 1_000_000m, cost);
        Assert.Equal((1L, (long)usage.InputTokenCount, 10L, cost), UsageFigures.Charged(await gateway.GetUsageAsync(tenantId)));
        using var admin = gateway.CreateAdminClient();
        var entry = Assert.Single((await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{tenantId}/ledger"))!["data"]!.AsArray())!.AsObject();
        Assert.Equal(
            ((long)usage.InputTokenCount, 1_000L, 0L, 10L, cost),
            (entry["inputTokens"]!.GetValue<long>(), entry["cachedInputTokens"]!.GetValue<long>(), entry["cacheWriteTokens"]!.GetValue<long>(),
                entry["outputTokens"]!.GetValue<long>(), entry["costUsd"]!.GetValue<decimal>()));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task APromptBlockedForSafetyIsContentFilterNeverAnEmptySuccessAndIsChargedItsInput(bool stream)
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        ChatMessage[] messages = [new SystemChatMessage("""mock: {"block_prompt": true}"""), new UserChatMessage("Something unsafe.")];
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 5 };
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        var text = "";
        if (stream)
        {
            await foreach (var update in Chat(key).CompleteChatStreamingAsync(messages, options))
            {
                finish = update.FinishReason ?? finish;
                usage = update.Usage ?? usage;
                text += string.Concat(update.ContentUpdate.Select(part => part.Text));
            }
        }
        else
        {
            var completion = (await Chat(key).CompleteChatAsync(messages, options)).Value;
            (finish, usage, text) = (completion.FinishReason, completion.Usage, string.Concat(completion.Content.Select(part => part.Text)));
        }

        // LiteLLM PR #40864: a blocked prompt came back as an empty answer that finished normally.
        Assert.Equal(ChatFinishReason.ContentFilter, finish);
        Assert.Equal("", text);
        Assert.Equal(0, usage!.OutputTokenCount);
        Assert.Equal(
            (1L, (long)usage.InputTokenCount, 0L, GeminiPrices.CostUsd(usage.InputTokenCount, 0, 0)),
            UsageFigures.Charged(await gateway.GetUsageAsync(tenantId)));
    }

    [Fact]
    public async Task ARequestGeminiCannotTakeIsA400BeforeAnythingIsSentOrCharged()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = gateway.CreateTenantClient(key);
        var mockBefore = gateway.MockStats.Requests;

        // A stream follows one candidate; a plain answer has at most eight.
        foreach (var (n, stream) in new[] { (2, true), (9, false) })
        {
            using var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = Model, messages = ChatBodies.Messages(), max_tokens = 5, n, stream });

            await OpenAiErrorAssertions.AssertOpenAiErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", "n", "unsupported_parameter", $"n={n}, stream {stream}");
        }

        Assert.Equal(mockBefore, gateway.MockStats.Requests);
        var usage = await gateway.GetUsageAsync(tenantId);
        Assert.Equal((0L, 0L, 0L, 0m), UsageFigures.Charged(usage));
        Assert.Equal((0, 0L, 0m), UsageFigures.Reserved(usage));
    }

    [Fact]
    public async Task AnUnavailable503FromGeminiIsRetriedAndTheRetryServes()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        var mockBefore = gateway.MockStats.Requests;
        gateway.MockFaults.Enqueue(new MockFault { Status = 503 });

        var completion = (await Chat(key).CompleteChatAsync([new UserChatMessage("Hello")], new ChatCompletionOptions { MaxOutputTokenCount = 4 })).Value;

        Assert.Equal(MockUsage.CompletionText(4), Assert.Single(completion.Content).Text);
        using var admin = gateway.CreateAdminClient();
        var entry = Assert.Single((await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{tenantId}/ledger"))!["data"]!.AsArray())!.AsObject();
        Assert.Equal(2, entry["attempts"]!.GetValue<int>());
        Assert.Equal(4, entry["outputTokens"]!.GetValue<long>());
        Assert.Equal(0, gateway.MockFaults.Count);

        // The 503 reached the mock but served nothing; only the retry counts as served.
        Assert.Equal(mockBefore + 1, gateway.MockStats.Requests);
    }

    [Fact]
    public async Task AnInvalidArgumentFromGeminiIsPassedOnAsA400WithItsMessageAndNotRetried()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        gateway.MockFaults.Enqueue(new MockFault { Status = 400, Message = "* GenerateContentRequest.contents[0].parts: contents.parts must not be empty." });
        gateway.MockFaults.Enqueue(new MockFault { Status = 400, Message = "a retry would have met this" });

        ClientResultException exception;
        int left;
        try
        {
            exception = await Assert.ThrowsAsync<ClientResultException>(() =>
                Chat(key).CompleteChatAsync([new UserChatMessage("Hello")], new ChatCompletionOptions { MaxOutputTokenCount = 4 }));
        }
        finally
        {
            left = gateway.MockFaults.Count;
            gateway.MockFaults.Clear();
        }

        Assert.Equal(400, exception.Status);
        Assert.Contains("contents.parts must not be empty", exception.Message, StringComparison.Ordinal);
        Assert.Equal(1, left);
        Assert.Equal((0L, 0L, 0L, 0m), UsageFigures.Charged(await gateway.GetUsageAsync(tenantId)));
    }

    private ChatClient Chat(string key) => new OpenAIClient(new ApiKeyCredential(key), new OpenAIClientOptions
    {
        Endpoint = new Uri(gateway.BaseAddress, "/v1"),
        Transport = new HttpClientPipelineTransport(gateway.CreateClient()),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
    }).GetChatClient(Model);
}
