using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.MockProvider;
using Gateway.Tests.Infrastructure;
using OpenAI;
using OpenAI.Chat;

namespace Gateway.Tests.Providers.Anthropic;

/// <summary>
/// The official OpenAI .NET SDK against a Claude model whose provider is of kind <c>anthropic</c>: the gateway translates
/// each request to the Messages API (the mock's <c>/v1/messages</c>) and each answer, plain or streamed, back. Directives
/// reach the mock as a system message reading <c>mock: {...}</c>, the one part of a request translation keeps as it is.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class AnthropicUpstreamSdkTests(GatewayFactory gateway)
{
    private const string Claude = "claude-sonnet-4.5";

    private static readonly ChatTool Weather = ChatTool.CreateFunctionTool("get_weather", "The weather in a city.",
        BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city"]}"""));

    private static readonly ChatTool Time = ChatTool.CreateFunctionTool("get_time", "The time now.",
        BinaryData.FromString("""{"type":"object","properties":{}}"""));

    [Fact]
    public async Task AChatCompletionIsTranslatedBothWaysAndTheTenantIsChargedTheReportedUsage()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        var mockBefore = gateway.MockStats.Requests;

        ClientResult<ChatCompletion> result = await Chat(key).CompleteChatAsync(
            [new SystemChatMessage("You are terse."), new UserChatMessage("Say hello.")],
            new ChatCompletionOptions { MaxOutputTokenCount = 5 });

        var completion = result.Value;
        Assert.Equal(MockUsage.CompletionText(5), Assert.Single(completion.Content).Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(Claude, completion.Model);
        Assert.Equal(5, completion.Usage.OutputTokenCount);
        Assert.InRange(completion.Usage.InputTokenCount, 1, int.MaxValue);
        Assert.Equal(0, completion.Usage.InputTokenDetails.CachedTokenCount);
        Assert.Equal(mockBefore + 1, gateway.MockStats.Requests);
        Assert.Equal(
            (1L, (long)completion.Usage.InputTokenCount, 5L, ClaudePrices.CostUsd(completion.Usage.InputTokenCount, 0, 0, 5)),
            UsageFigures.Charged(await gateway.GetUsageAsync(tenantId)));
    }

    [Fact]
    public async Task AStreamIsTranslatedToOpenAiChunksAndChargedTheCumulativeUsage()
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

        // message_start said one output token, message_delta seven: the cumulative figure replaces the first, never adds to it.
        Assert.Equal(7, streamedUsage!.OutputTokenCount);
        var usage = await gateway.GetUsageAsync(tenantId);
        Assert.Equal(
            (1L, (long)streamedUsage.InputTokenCount, 7L, ClaudePrices.CostUsd(streamedUsage.InputTokenCount, 0, 0, 7)),
            UsageFigures.Charged(usage));
        Assert.Equal(0, usage["inFlight"]!.GetValue<int>());
    }

    [Fact]
    public async Task StreamedToolCallsKeepTheirOwnIndexAndTheirArgumentsArriveWholeThenTheResultsGoBack()
    {
        var (_, key) = await gateway.CreateTenantWithKeyAsync();
        var chat = Chat(key);
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 3, Tools = { Weather, Time } };
        List<ChatMessage> messages = [new SystemChatMessage("""mock: {"tool_calls": 3}"""), new UserChatMessage("Weather and time?")];
        var ids = new Dictionary<int, string>();
        var names = new Dictionary<int, string>();
        var arguments = new Dictionary<int, System.Text.StringBuilder>();
        ChatFinishReason? finish = null;

        await foreach (var update in chat.CompleteChatStreamingAsync(messages, options))
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

        // Anthropic's blocks are the text (0) and three tool_use (1, 2, 3); OpenAI numbers the tool calls 0, 1, 2.
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        Assert.Equal([0, 1, 2], ids.Keys.Order());
        Assert.Equal(3, ids.Values.Distinct().Count());
        Assert.Equal(["get_weather", "get_time", "get_weather"], names.OrderBy(n => n.Key).Select(n => n.Value));

        // The mock cut each input into pieces of four characters, through the quotes and the ü; the tool with no
        // arguments (its input never streamed) gets {}.
        Assert.Equal("""{"city":"Zürich \"0\"","days":1}""", arguments[0].ToString());
        Assert.Equal("{}", arguments[1].ToString());
        Assert.Equal("""{"city":"Zürich \"2\"","days":3}""", arguments[2].ToString());

        // The round trip: the calls and their results go back, and the model answers.
        messages[0] = new SystemChatMessage("Use the tools' results.");
        messages.Add(new AssistantChatMessage(ids.OrderBy(i => i.Key).Select(i => ChatToolCall.CreateFunctionToolCall(i.Value, names[i.Key], BinaryData.FromString(arguments[i.Key].ToString()))).ToList()));
        foreach (var (index, id) in ids.OrderBy(i => i.Key))
        {
            messages.Add(new ToolChatMessage(id, index == 1 ? "12:00" : "sunny"));
        }

        var answer = (await chat.CompleteChatAsync(messages, options)).Value;
        Assert.Equal(ChatFinishReason.Stop, answer.FinishReason);
        Assert.Equal(MockUsage.CompletionText(3), Assert.Single(answer.Content).Text);
    }

    [Fact]
    public async Task AToolCallAnswerIsTranslatedWithEveryCallAndTheToolCallsFinishReason()
    {
        var (_, key) = await gateway.CreateTenantWithKeyAsync();

        var completion = (await Chat(key).CompleteChatAsync(
            [new SystemChatMessage("""mock: {"tool_calls": 2}"""), new UserChatMessage("Time, then weather?")],
            new ChatCompletionOptions { MaxOutputTokenCount = 3, Tools = { Time, Weather } })).Value;

        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        Assert.Equal(["get_time", "get_weather"], completion.ToolCalls.Select(c => c.FunctionName));
        Assert.Equal("{}", completion.ToolCalls[0].FunctionArguments.ToString());
        Assert.Equal("Zürich \"1\"", JsonNode.Parse(completion.ToolCalls[1].FunctionArguments.ToString())!["city"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CacheReadsAndWritesArePromptTokensAndArePricedAsCacheReadsAndWritesNotAsInput(bool stream)
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        ChatMessage[] messages = [new SystemChatMessage("""mock: {"cache_read_input_tokens": 1000, "cache_creation_input_tokens": 200}"""), new UserChatMessage("Hello again.")];
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 6 };
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

        // OpenAI's prompt_tokens includes the cache (Portkey #1564); its cached_tokens are the cache reads.
        var uncached = usage.InputTokenCount - 1_200;
        Assert.InRange(uncached, 1, int.MaxValue);
        Assert.Equal(1_000, usage.InputTokenDetails.CachedTokenCount);
        Assert.Equal(6, usage.OutputTokenCount);

        var cost = ClaudePrices.CostUsd(usage.InputTokenCount, 1_000, 200, 6);
        Assert.Equal((uncached * 3.00m + 1_000 * 0.30m + 200 * 3.75m + 6 * 15.00m) / 1_000_000m, cost);
        Assert.Equal((1L, (long)usage.InputTokenCount, 6L, cost), UsageFigures.Charged(await gateway.GetUsageAsync(tenantId)));
        using var admin = gateway.CreateAdminClient();
        var entry = Assert.Single((await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{tenantId}/ledger"))!["data"]!.AsArray())!.AsObject();
        Assert.Equal(
            ((long)usage.InputTokenCount, 1_000L, 200L, 6L, cost),
            (entry["inputTokens"]!.GetValue<long>(), entry["cachedInputTokens"]!.GetValue<long>(), entry["cacheWriteTokens"]!.GetValue<long>(),
                entry["outputTokens"]!.GetValue<long>(), entry["costUsd"]!.GetValue<decimal>()));
    }

    [Fact]
    public async Task ARequestAnthropicCannotTakeIsA400BeforeAnythingIsSentOrCharged()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = gateway.CreateTenantClient(key);
        var mockBefore = gateway.MockStats.Requests;

        foreach (var stream in new[] { false, true })
        {
            using var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = Claude, messages = ChatBodies.Messages(), max_tokens = 5, n = 2, stream });

            await OpenAiErrorAssertions.AssertOpenAiErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", "n", "unsupported_parameter", $"n=2, stream {stream}");
        }

        Assert.Equal(mockBefore, gateway.MockStats.Requests);
        var usage = await gateway.GetUsageAsync(tenantId);
        Assert.Equal((0L, 0L, 0L, 0m), UsageFigures.Charged(usage));
        Assert.Equal((0, 0L, 0m), UsageFigures.Reserved(usage));
    }

    [Fact]
    public async Task AnOverloaded529FromAnthropicIsRetriedAndTheRetryServes()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        var mockBefore = gateway.MockStats.Requests;
        gateway.MockFaults.Enqueue(new MockFault { Status = 529 });

        var completion = (await Chat(key).CompleteChatAsync([new UserChatMessage("Hello")], new ChatCompletionOptions { MaxOutputTokenCount = 4 })).Value;

        Assert.Equal(MockUsage.CompletionText(4), Assert.Single(completion.Content).Text);
        using var admin = gateway.CreateAdminClient();
        var ledger = await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{tenantId}/ledger");
        var entry = Assert.Single(ledger!["data"]!.AsArray())!.AsObject();
        Assert.Equal(2, entry["attempts"]!.GetValue<int>());
        Assert.Equal(4, entry["outputTokens"]!.GetValue<long>());
        Assert.Equal(0, gateway.MockFaults.Count);

        // The 529 reached the mock but served nothing; only the retry counts as served.
        Assert.Equal(mockBefore + 1, gateway.MockStats.Requests);
    }

    [Fact]
    public async Task AnAnthropicRefusalOfTheRequestIsPassedOnAsA400WithItsMessageAndNotRetried()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        gateway.MockFaults.Enqueue(new MockFault { Status = 400, Message = "messages: text content blocks must be non-empty" });

        var exception = await Assert.ThrowsAsync<ClientResultException>(() =>
            Chat(key).CompleteChatAsync([new UserChatMessage("Hello")], new ChatCompletionOptions { MaxOutputTokenCount = 4 }));

        Assert.Equal(400, exception.Status);
        Assert.Contains("text content blocks must be non-empty", exception.Message, StringComparison.Ordinal);
        Assert.Equal(0, gateway.MockFaults.Count);
        Assert.Equal((0L, 0L, 0L, 0m), UsageFigures.Charged(await gateway.GetUsageAsync(tenantId)));
    }

    private ChatClient Chat(string key) => new OpenAIClient(new ApiKeyCredential(key), new OpenAIClientOptions
    {
        Endpoint = new Uri(gateway.BaseAddress, "/v1"),
        Transport = new HttpClientPipelineTransport(gateway.CreateClient()),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
    }).GetChatClient(Claude);
}
