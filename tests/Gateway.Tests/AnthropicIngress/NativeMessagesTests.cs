using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anthropic;
using Anthropic.Helpers;
using Anthropic.Models.Messages;
using Gateway.MockProvider;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Providers.Anthropic;

namespace Gateway.Tests.AnthropicIngress;

/// <summary>
/// <c>/v1/messages</c> for a model whose provider is of kind <c>anthropic</c>: the client's body reaches the provider as it
/// was sent (only its model rewritten), with its <c>anthropic-version</c> and <c>anthropic-beta</c>; the answer comes back
/// as the provider gave it, streamed events in their order; and the charge is the provider's usage, cache reads and writes
/// priced as such, or what was streamed when the client leaves.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class NativeMessagesTests(GatewayFactory gateway)
{
    internal const string Claude = "claude-sonnet-4.5";
    internal const string UpstreamModel = "claude-sonnet-4-6";
    internal const string Beta = "prompt-caching-2024-07-31,interleaved-thinking-2025-05-14";
    private const string PriorSignature = "c2lnbmF0dXJlLW9mLXRoZS1wcmV2aW91cy10dXJu";

    // The mock's signature of every thinking block it writes.
    private const string MockSignature = "bW9jay1zaWduYXR1cmU=";

    [Fact]
    public async Task AMessageReachesTheProviderAsSentAndItsAnswerComesBackAsGiven()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = CreateClient(key);
        var body = NativeBody(tenantId, stream: false);

        var response = await client.PostAsync("/v1/messages", Json(body));

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        AssertReceivedAsSent(tenantId, body);
        var message = JsonNode.Parse(text)!;
        Assert.Equal(Claude, message["model"]!.GetValue<string>());
        var thinking = message["content"]![0]!;
        Assert.Equal("thinking", thinking["type"]!.GetValue<string>());
        Assert.Equal(MockSignature, thinking["signature"]!.GetValue<string>());
        Assert.Equal("text", message["content"]![1]!["type"]!.GetValue<string>());

        var usage = message["usage"]!;
        Assert.Equal(40, usage["cache_read_input_tokens"]!.GetValue<long>());
        Assert.Equal(10, usage["cache_creation_input_tokens"]!.GetValue<long>());
        await AssertChargedAsync(tenantId, usage["input_tokens"]!.GetValue<long>(), usage["output_tokens"]!.GetValue<long>());
    }

    [Fact]
    public async Task AStreamReachesTheProviderAsSentAndItsEventsComeBackInOrderChargedTheirUsage()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = CreateClient(key);
        var body = NativeBody(tenantId, stream: true);

        var response = await client.PostAsync("/v1/messages", Json(body));

        var sse = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, sse);
        AssertReceivedAsSent(tenantId, body);
        var events = MessageEvents.Read(sse);
        Assert.All(events, e => Assert.Equal(e.Name, e.Data["type"]!.GetValue<string>()));
        Assert.Equal(["message_start", "ping"], events[..2].Select(e => e.Name));
        Assert.Equal(["message_delta", "message_stop"], events[^2..].Select(e => e.Name));
        Assert.Equal(Claude, events[0].Data["message"]!["model"]!.GetValue<string>());

        // The thinking block as Anthropic streams it, its signature included, which a translation to OpenAI's chunks loses.
        Assert.Equal("thinking", events[2].Data["content_block"]!["type"]!.GetValue<string>());
        Assert.Contains(events, e => e.Data["delta"]?["type"]?.GetValue<string>() == "signature_delta"
            && e.Data["delta"]!["signature"]!.GetValue<string>() == MockSignature);
        var blocks = events.Where(e => e.Name == "content_block_start").Select(e => e.Data["index"]!.GetValue<int>()).ToList();
        Assert.Equal([0, 1], blocks);

        // message_delta's usage is cumulative: its output is the whole output, its input what message_start said.
        var started = events[0].Data["message"]!["usage"]!;
        Assert.Equal(40, started["cache_read_input_tokens"]!.GetValue<long>());
        Assert.Equal(10, started["cache_creation_input_tokens"]!.GetValue<long>());
        await AssertChargedAsync(tenantId, started["input_tokens"]!.GetValue<long>(), events[^2].Data["usage"]!["output_tokens"]!.GetValue<long>());
    }

    [Fact]
    public async Task TheSdksStreamOfANativeAnswerPassesItsChecksAndKeepsTheThinkingSignature()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        var body = NativeBody(tenantId, stream: false);
        var parameters = MessageCreateParams.FromRawUnchecked(
            new Dictionary<string, JsonElement> { ["anthropic-beta"] = JsonSerializer.SerializeToElement(Beta) },
            new Dictionary<string, JsonElement>(),
            body.AsObject().Where(p => p.Key != "stream").ToDictionary(p => p.Key, p => JsonSerializer.SerializeToElement(p.Value)));
        var client = new AnthropicClient(new Anthropic.Core.ClientOptions
        {
            ApiKey = key,
            BaseUrl = gateway.BaseAddress.ToString().TrimEnd('/'),
            MaxRetries = 0,
        });

        var aggregator = new MessageContentAggregator();
        await foreach (var _ in client.Messages.CreateStreaming(parameters).CollectAsync(aggregator))
        {
        }

        var message = aggregator.Message();
        var received = Received(tenantId);
        var sent = JsonNode.Parse(received.Text)!;
        Assert.Equal(UpstreamModel, sent["model"]!.GetValue<string>());
        Assert.Equal(Beta, received.AnthropicBeta);
        Assert.Equal(PriorSignature, sent["messages"]![1]!["content"]![0]!["signature"]!.GetValue<string>());
        Assert.Equal("ephemeral", sent["system"]![0]!["cache_control"]!["type"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(body["gateway_does_not_know_this"], sent["gateway_does_not_know_this"]), received.Text);

        Assert.True(message.Content[0].TryPickThinking(out var thinking), "The answer opens with its thinking block.");
        Assert.Equal(MockSignature, thinking.Signature);
        Assert.True(message.Content[1].TryPickText(out _), "The thinking is followed by the text.");
        Assert.Equal(40, message.Usage.CacheReadInputTokens);
        Assert.Equal(10, message.Usage.CacheCreationInputTokens);
        await AssertChargedAsync(tenantId, message.Usage.InputTokens, message.Usage.OutputTokens);
    }

    [Fact]
    public async Task AClientThatLeavesANativeStreamIsChargedTheInputReportedAndWhatWasStreamed()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        var servedBefore = gateway.MockStats.CompletionTokens;
        var promptBefore = gateway.MockStats.PromptTokens;
        gateway.MockFaults.Enqueue(new MockFault { Kind = MockFaultKind.StallMidBody, StallAfterChunks = 2 });
        var body = $$$"""{"model":"{{{Claude}}}","max_tokens":50,"stream":true,"metadata":{"user_id":"{{{tenantId}}}"},"mock":{"cache_read_input_tokens":40},"messages":[{"role":"user","content":"Hello there"}]}""";

        using (var connection = await RawConnection.OpenAsync(gateway.BaseAddress, key, body, "/v1/messages", "anthropic-version: 2023-06-01\r\n"))
        {
            var received = await connection.ReadUntilAsync(text => MessageEvents.Count(text, "\"text_delta\"") >= 2);
            Assert.StartsWith("HTTP/1.1 200", received);
        }

        await Eventually.HoldsAsync(async () => (await gateway.GetUsageAsync(tenantId))["requests"]!.GetValue<long>() == 1, "the abandoned stream is settled");
        var usage = await gateway.GetUsageAsync(tenantId);
        var prompt = gateway.MockStats.PromptTokens - promptBefore;
        var output = usage["outputTokens"]!.GetValue<long>();
        Assert.Equal(2, output);
        Assert.Equal(gateway.MockStats.CompletionTokens - servedBefore, output);
        Assert.Equal(prompt, usage["inputTokens"]!.GetValue<long>());
        Assert.Equal(ClaudePrices.CostUsd(prompt, 40, 0, output), usage["costUsd"]!.GetValue<decimal>());
        Assert.Equal(0, usage["inFlight"]!.GetValue<int>());
    }

    [Fact]
    public async Task ANativeStreamCutByTheProviderEndsWithAnErrorEventAndIsChargedWhatWasStreamed()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = CreateClient(key);
        gateway.MockFaults.Enqueue(new MockFault { Kind = MockFaultKind.ResetMidBody, CutAfterChunks = 2 });

        var response = await client.PostAsJsonAsync("/v1/messages", new { model = Claude, max_tokens = 20, stream = true, messages = ChatBodies.Messages() });
        var events = MessageEvents.Read(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("message_start", events[0].Name);
        Assert.Equal("error", events[^1].Name);
        Assert.Equal("api_error", events[^1].Data["error"]!["type"]!.GetValue<string>());
        Assert.DoesNotContain(events, e => e.Name == "message_stop");
        var streamed = events.Count(e => e.Name == "content_block_delta");
        Assert.Equal(streamed, (await gateway.GetUsageAsync(tenantId))["outputTokens"]!.GetValue<long>());
    }

    [Fact]
    public async Task ServerToolsAndBlocksOnlyAnthropicKnowsReachItCountedAndAnotherProviderRefusesThem()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = CreateClient(key);
        var body = JsonNode.Parse($$$"""
            {
              "model": "{{{Claude}}}", "max_tokens": 20, "metadata": {"user_id": "{{{tenantId}}}"},
              "tools": [{"type": "web_search_20250305", "name": "web_search", "max_uses": 2}],
              "messages": [
                {"role": "user", "content": [{"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "The tide tables for Saint-Malo."}}]},
                {"role": "assistant", "content": [
                  {"type": "server_tool_use", "id": "srvtoolu_01", "name": "web_search", "input": {"query": "Saint-Malo tides"}},
                  {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_01", "content": [{"type": "web_search_result", "url": "https://example.com", "title": "Tides", "encrypted_content": "ZW5j"}]},
                  {"type": "redacted_thinking", "data": "cmVkYWN0ZWQ="},
                  {"type": "text", "text": "High tide is at noon."}]},
                {"role": "user", "content": "And tomorrow?"}
              ]
            }
            """)!;

        var response = await client.PostAsync("/v1/messages", Json(body));

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        AssertReceivedAsSent(tenantId, body);

        // Counted: the parts only Anthropic takes weigh in the count, as in the reservation.
        var withoutThem = JsonNode.Parse($$$"""
            {"model": "{{{Claude}}}", "messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": "High tide is at noon."}, {"role": "user", "content": "And tomorrow?"}]}
            """)!;
        Assert.True(await CountAsync(client, body) > await CountAsync(client, withoutThem) + 20, "The server tool and the blocks are counted.");

        // A model served by another kind of provider cannot take them: Anthropic's 400, nothing charged.
        var (openAiTenant, openAiKey) = await gateway.CreateTenantWithKeyAsync();
        using var openAiClient = CreateClient(openAiKey);
        body["model"] = "gpt-4.1";
        var refused = await openAiClient.PostAsync("/v1/messages", Json(body));
        var error = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("invalid_request_error", error["error"]!["type"]!.GetValue<string>());
        Assert.Contains("only be sent to a model served by Anthropic", error["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        var usage = await gateway.GetUsageAsync(openAiTenant);
        Assert.Equal((0L, 0L, 0L, 0m), UsageFigures.Charged(usage));
        Assert.Equal((0, 0L, 0m), UsageFigures.Reserved(usage));
    }

    internal static async Task<long> CountAsync(HttpClient client, JsonNode body)
    {
        var count = body.DeepClone().AsObject();
        count.Remove("max_tokens");
        count.Remove("metadata");
        var response = await client.PostAsync("/v1/messages/count_tokens", Json(count));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!["input_tokens"]!.GetValue<long>();
    }

    /// <summary>
    /// A Messages body with what a translation to OpenAI's format loses: <c>cache_control</c> on the system prompt and a
    /// user block, a replayed thinking block with its signature, <c>metadata</c>, a member the gateway does not know, and the
    /// mock's directives (another such member) asking for cache reads and writes.
    /// </summary>
    internal static JsonNode NativeBody(string tenantId, bool stream) => JsonNode.Parse($$$"""
        {
          "model": "{{{Claude}}}",
          "max_tokens": 2048,
          "stream": {{{(stream ? "true" : "false")}}},
          "thinking": {"type": "enabled", "budget_tokens": 1024},
          "system": [{"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}}],
          "metadata": {"user_id": "{{{tenantId}}}"},
          "messages": [
            {"role": "user", "content": [{"type": "text", "text": "Hello there", "cache_control": {"type": "ephemeral", "ttl": "5m"}}]},
            {"role": "assistant", "content": [
              {"type": "thinking", "thinking": "The user greets me.", "signature": "{{{PriorSignature}}}"},
              {"type": "text", "text": "Hello."}]},
            {"role": "user", "content": "And again."}
          ],
          "gateway_does_not_know_this": {"kept": [1, 2.50, "three"]},
          "mock": {"completion_tokens": 5, "cache_read_input_tokens": 40, "cache_creation_input_tokens": 10}
        }
        """)!;

    /// <summary>The provider got the body byte for byte as JSON (only its model is the deployment's), with the client's headers.</summary>
    private void AssertReceivedAsSent(string tenantId, JsonNode body)
    {
        var received = Received(tenantId);
        var expected = body.DeepClone();
        expected["model"] = UpstreamModel;
        Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(received.Text)), received.Text);
        Assert.Equal("2023-06-01", received.AnthropicVersion);
        Assert.Equal(Beta, received.AnthropicBeta);
        Assert.Null(received.Query);
    }

    /// <summary>The mock's record of the one request tagged with the tenant's id.</summary>
    private MockReceivedRequest Received(string tenantId) =>
        Assert.Single(gateway.MockDeployments.Default.ReceivedMessages.All, r => r.Text.Contains(tenantId, StringComparison.Ordinal));

    /// <summary>
    /// The usage and the ledger hold what the provider reported: Anthropic's uncached input, the mock's 40 cache reads and 10
    /// cache writes (in the input, priced as such), the output; and nothing is left reserved.
    /// </summary>
    private async Task AssertChargedAsync(string tenantId, long uncachedInput, long output)
    {
        var input = uncachedInput + 40 + 10;
        var cost = ClaudePrices.CostUsd(input, 40, 10, output);
        var usage = await gateway.GetUsageAsync(tenantId);
        Assert.Equal((1L, input, output, cost), UsageFigures.Charged(usage));
        Assert.Equal((0, 0L, 0m), UsageFigures.Reserved(usage));
        using var admin = gateway.CreateAdminClient();
        var entry = Assert.Single((await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{tenantId}/ledger"))!["data"]!.AsArray())!.AsObject();
        Assert.Equal(
            (input, 40L, 10L, output, cost),
            (entry["inputTokens"]!.GetValue<long>(), entry["cachedInputTokens"]!.GetValue<long>(), entry["cacheWriteTokens"]!.GetValue<long>(),
                entry["outputTokens"]!.GetValue<long>(), entry["costUsd"]!.GetValue<decimal>()));
    }

    private HttpClient CreateClient(string key) => CreateClient(gateway, key);

    /// <summary>A client with the tenant's key, <c>anthropic-version</c> 2023-06-01 and the <c>anthropic-beta</c> values of these tests.</summary>
    internal static HttpClient CreateClient(GatewayFactory gateway, string key)
    {
        var client = gateway.CreateClient();
        client.DefaultRequestHeaders.Add("x-api-key", key);
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        client.DefaultRequestHeaders.Add("anthropic-beta", Beta);
        return client;
    }

    internal static StringContent Json(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");
}
