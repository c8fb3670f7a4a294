using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.MockProvider;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.AnthropicIngress;

/// <summary>
/// <c>/v1/messages</c> on the wire: Anthropic's exact stream events, its error shape and statuses, its headers; the same
/// reservation and charges as the equivalent chat completion, and a client that leaves mid-stream charged what it got.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class MessagesHttpTests(GatewayFactory gateway)
{
    private const string Version = "anthropic-version";

    [Fact]
    public async Task AStreamIsAnthropicsExactEventSequenceWithCompleteUsage()
    {
        var (_, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = CreateClient(key);

        var response = await client.PostAsJsonAsync("/v1/messages?beta=true", new { model = "gpt-4.1", max_tokens = 3, stream = true, messages = ChatBodies.Messages() });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = MessageEvents.Read(await response.Content.ReadAsStringAsync());

        Assert.Equal(
            ["message_start", "ping", "content_block_start", "content_block_delta", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"],
            events.Select(e => e.Name));
        Assert.All(events, e => Assert.Equal(e.Name, e.Data["type"]!.GetValue<string>()));
        var start = events[0].Data["message"]!;
        Assert.Equal("assistant", start["role"]!.GetValue<string>());
        Assert.Empty(start["content"]!.AsArray());
        Assert.Equal(
            ["input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens", "output_tokens"],
            start["usage"]!.AsObject().Select(p => p.Key));
        Assert.Equal(0, events[2].Data["index"]!.GetValue<int>());
        Assert.Equal("text", events[2].Data["content_block"]!["type"]!.GetValue<string>());
        Assert.Equal(MockUsage.CompletionPieces(3), events[3..6].Select(e => e.Data["delta"]!["text"]!.GetValue<string>()));
        Assert.All(events[3..7], e => Assert.Equal(0, e.Data["index"]!.GetValue<int>()));
        Assert.All(events[3..6], e => Assert.Equal("text_delta", e.Data["delta"]!["type"]!.GetValue<string>()));
        var delta = events[7].Data;
        Assert.Equal("end_turn", delta["delta"]!["stop_reason"]!.GetValue<string>());
        Assert.Equal(3, delta["usage"]!["output_tokens"]!.GetValue<long>());
        Assert.Equal(ChatBodies.PromptTokens(), delta["usage"]!["input_tokens"]!.GetValue<long>());
    }

    [Fact]
    public async Task TheKeyIsAcceptedAsXApiKeyOrAsBearerAndTheAnswerIsAMessage()
    {
        var (_, key) = await gateway.CreateTenantWithKeyAsync();
        using var bearer = gateway.CreateTenantClient(key);
        bearer.DefaultRequestHeaders.Add(Version, "2026-10-21");
        using var apiKey = CreateClient(key);

        foreach (var client in new[] { bearer, apiKey })
        {
            var response = await client.PostAsJsonAsync("/v1/messages", new { model = "gpt-4.1", max_tokens = 2, messages = ChatBodies.Messages() });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var message = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.Equal("message", message["type"]!.GetValue<string>());
            Assert.Equal(MockUsage.CompletionText(2), message["content"]![0]!["text"]!.GetValue<string>());
            Assert.Equal(response.Headers.GetValues("x-request-id").Single()[4..], message["id"]!.GetValue<string>()[4..]);
        }
    }

    public static TheoryData<string, string?, string, HttpStatusCode, string> BadRequests => new()
    {
        { "bad JSON", "2023-06-01", """{"model":"gpt-4.1",""", HttpStatusCode.BadRequest, "invalid_request_error" },
        { "no anthropic-version", null, """{"model":"gpt-4.1","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}""", HttpStatusCode.BadRequest, "invalid_request_error" },
        { "an unknown anthropic-version", "1999-01-01", """{"model":"gpt-4.1","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}""", HttpStatusCode.BadRequest, "invalid_request_error" },
        { "no max_tokens", "2023-06-01", """{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}]}""", HttpStatusCode.BadRequest, "invalid_request_error" },
        { "max_tokens over the model's", "2023-06-01", """{"model":"gpt-4.1","max_tokens":100000000,"messages":[{"role":"user","content":"hi"}]}""", HttpStatusCode.BadRequest, "invalid_request_error" },
        { "no messages", "2023-06-01", """{"model":"gpt-4.1","max_tokens":5}""", HttpStatusCode.BadRequest, "invalid_request_error" },
        { "an unknown role", "2023-06-01", """{"model":"gpt-4.1","max_tokens":5,"messages":[{"role":"robot","content":"hi"}]}""", HttpStatusCode.BadRequest, "invalid_request_error" },
        { "an unknown block", "2023-06-01", """{"model":"gpt-4.1","max_tokens":5,"messages":[{"role":"user","content":[{"type":"hologram"}]}]}""", HttpStatusCode.BadRequest, "invalid_request_error" },
        { "temperature on the newer version", "2026-10-21", """{"model":"gpt-4.1","max_tokens":5,"temperature":0.5,"messages":[{"role":"user","content":"hi"}]}""", HttpStatusCode.BadRequest, "invalid_request_error" },
        { "a field given twice", "2023-06-01", """{"model":"gpt-4.1","max_tokens":5,"max_tokens":6,"messages":[{"role":"user","content":"hi"}]}""", HttpStatusCode.BadRequest, "invalid_request_error" },
        { "a lone surrogate", "2023-06-01", """{"model":"gpt-4.1","max_tokens":5,"messages":[{"role":"user","content":"\ud800"}]}""", HttpStatusCode.BadRequest, "invalid_request_error" },
        { "content a number", "2023-06-01", """{"model":"gpt-4.1","max_tokens":5,"messages":[{"role":"user","content":5}]}""", HttpStatusCode.BadRequest, "invalid_request_error" },
        { "a block not an object", "2023-06-01", """{"model":"gpt-4.1","max_tokens":5,"messages":[{"role":"user","content":["hi"]}]}""", HttpStatusCode.BadRequest, "invalid_request_error" },
        { "an image without a source", "2023-06-01", """{"model":"gpt-4.1","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image"}]}]}""", HttpStatusCode.BadRequest, "invalid_request_error" },
        { "a tool result without its id", "2023-06-01", """{"model":"gpt-4.1","max_tokens":5,"messages":[{"role":"user","content":[{"type":"tool_result","content":"x"}]}]}""", HttpStatusCode.BadRequest, "invalid_request_error" },
        { "a server tool", "2023-06-01", """{"model":"gpt-4.1","max_tokens":5,"tools":[{"type":"web_search_20250305","name":"web_search"}],"messages":[{"role":"user","content":"hi"}]}""", HttpStatusCode.BadRequest, "invalid_request_error" },
        { "an unknown model", "2023-06-01", """{"model":"no-such-model","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}""", HttpStatusCode.NotFound, "not_found_error" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadInputIsAnAnthropicErrorAndChargesNothing(string what, string? version, string body, HttpStatusCode status, string type)
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = gateway.CreateClient();
        client.DefaultRequestHeaders.Add("x-api-key", key);
        if (version is not null)
        {
            client.DefaultRequestHeaders.Add(Version, version);
        }

        var response = await client.PostAsync("/v1/messages", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.True(status == response.StatusCode, $"{what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        await AssertAnthropicErrorAsync(response, type, what);
        Assert.Equal((0L, 0L, 0L, 0m), UsageFigures.Charged(await gateway.GetUsageAsync(tenantId)));
    }

    public static TheoryData<string, string, string, string> RefusedTurns()
    {
        var data = new TheoryData<string, string, string, string>();
        foreach (var path in new[] { "/v1/messages", "/v1/messages/count_tokens" })
        {
            // Translated (gpt-4.1) and native (claude-sonnet-4.5): Anthropic refuses these turns, so the gateway does before any provider:
            // an empty turn, a tool result answering no tool use of the turn before, an image that is not one of its
            // media types or whose data is not base64.
            foreach (var model in new[] { "gpt-4.1", "claude-sonnet-4.5" })
            {
                data.Add(path, model, """[{"role":"user","content":[]}]""", "messages.0.content: all messages must have non-empty content");
                data.Add(path, model, """[{"role":"user","content":"hi"},{"role":"assistant","content":[]},{"role":"user","content":"and?"}]""", "messages.1.content: all messages must have non-empty content");
                data.Add(path, model, """[{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_x","content":"42"}]}]""", "messages.0.content.0: unexpected `tool_use_id`");
                data.Add(path, model, """[{"role":"user","content":"q"},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":{}}]},{"role":"user","content":[{"type":"text","text":"x"},{"type":"tool_result","tool_use_id":"t2","content":"42"}]}]""", "messages.2.content.1: unexpected `tool_use_id`");
                data.Add(path, model, """[{"role":"user","content":"q"},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"42"}]},{"role":"assistant","content":"ok"},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"again"}]}]""", "messages.4.content.0: unexpected `tool_use_id`");
                data.Add(path, model, """[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"not base64!"}}]}]""", "messages.0.content.0.source.data: Input should be base64");
                data.Add(path, model, """[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"text/html","data":"AAAA"}}]}]""", "messages.0.content.0.source.media_type: Input should be 'image/jpeg'");
                data.Add(path, model, """[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png;base64,AAAA#","data":"AAAA"}}]}]""", "messages.0.content.0.source.media_type: Input should be 'image/jpeg'");
                data.Add(path, model, """[{"role":"user","content":"q"},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"image","source":{"type":"base64","media_type":"image/gif","data":"%%%"}}]}]}]""", "messages.2.content.0.content.0.source.data: Input should be base64");
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RefusedTurns))]
    public async Task ATurnAnthropicRefusesIsA400NamingItAndReachesNoProvider(string path, string model, string messages, string message)
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = CreateClient(key);
        var served = gateway.MockStats.Requests;

        var response = await client.PostAsync(path, new StringContent($$"""{"model":"{{model}}","max_tokens":5,"messages":{{messages}}}""", Encoding.UTF8, "application/json"));

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode} {body}");
        await AssertAnthropicErrorAsync(response, "invalid_request_error", messages);
        Assert.StartsWith(message, JsonNode.Parse(body)!["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(served, gateway.MockStats.Requests);
        Assert.Equal((0L, 0L, 0L, 0m), UsageFigures.Charged(await gateway.GetUsageAsync(tenantId)));
    }

    [Fact]
    public async Task AnEmptyFinalAssistantTurnIsAPrefillAndServed()
    {
        var (_, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = CreateClient(key);

        var response = await client.PostAsync("/v1/messages/count_tokens",
            new StringContent("""{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[]}]}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task WithABearerTokenAndAnXApiKeyTheBearerTokensTenantIsCharged()
    {
        var (bearerTenant, bearerKey) = await gateway.CreateTenantWithKeyAsync();
        var (apiKeyTenant, apiKey) = await gateway.CreateTenantWithKeyAsync();
        using var client = CreateClient(apiKey);
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearerKey);

        var response = await client.PostAsJsonAsync("/v1/messages", new { model = "gpt-4.1", max_tokens = 2, messages = ChatBodies.Messages() });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, (await gateway.GetUsageAsync(bearerTenant))["requests"]!.GetValue<long>());
        Assert.Equal(0, (await gateway.GetUsageAsync(apiKeyTenant))["requests"]!.GetValue<long>());
    }

    [Fact]
    public async Task CountingTokensForAModelTheTenantMayNotUseIsA403()
    {
        var (_, key) = await gateway.CreateTenantWithKeyAsync(new { tier = "gold", allowedModels = new[] { "gpt-4.1" } });
        using var client = CreateClient(key);

        var refused = await client.PostAsJsonAsync("/v1/messages/count_tokens", new { model = "claude-sonnet-4.5", messages = ChatBodies.Messages() });
        var counted = await client.PostAsJsonAsync("/v1/messages/count_tokens", new { model = "gpt-4.1", messages = ChatBodies.Messages() });

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        await AssertAnthropicErrorAsync(refused, "permission_error", "a model outside the tenant's allowed models");
        Assert.Equal(HttpStatusCode.OK, counted.StatusCode);
    }

    [Fact]
    public async Task TokenCountsAreRateLimitedApartFromMessages()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync(new { tier = "gold", limits = new { requestsPerMinute = 2 } });
        using var client = CreateClient(key);
        var count = new { model = "gpt-4.1", messages = ChatBodies.Messages() };

        var first = await client.PostAsJsonAsync("/v1/messages/count_tokens", count);
        var second = await client.PostAsJsonAsync("/v1/messages/count_tokens", count);
        var third = await client.PostAsJsonAsync("/v1/messages/count_tokens", count);
        var message = await client.PostAsJsonAsync("/v1/messages", new { model = "gpt-4.1", max_tokens = 2, messages = ChatBodies.Messages() });

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, second.StatusCode));
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        await AssertAnthropicErrorAsync(third, "rate_limit_error", "a third count in a minute at 2 requests per minute");
        var retryAfter = int.Parse(third.Headers.GetValues("retry-after").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 30);
        Assert.Equal(HttpStatusCode.OK, message.StatusCode);
        var usage = await gateway.GetUsageAsync(tenantId);
        Assert.Equal((1L, 0m < usage["costUsd"]!.GetValue<decimal>()), (usage["requests"]!.GetValue<long>(), true));
    }

    [Fact]
    public async Task ACachedAnswerIsReplayedAsAMessageStreamWithoutAskingTheProviderAgain()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync(new { tier = "gold", cache = new { enabled = true, ttlSeconds = 60 } });
        using var client = CreateClient(key);
        var body = new { model = "gpt-4.1", max_tokens = 4, temperature = 0, metadata = new { user_id = tenantId }, messages = ChatBodies.Messages() };

        var first = await client.PostAsJsonAsync("/v1/messages", body);
        var second = await client.PostAsJsonAsync("/v1/messages", new { body.model, body.max_tokens, body.temperature, body.metadata, body.messages, stream = true });

        Assert.Equal("MISS", first.Headers.GetValues("x-gateway-cache").Single());
        Assert.Equal("HIT", second.Headers.GetValues("x-gateway-cache").Single());
        var message = (await first.Content.ReadFromJsonAsync<JsonObject>())!;
        var events = MessageEvents.Read(await second.Content.ReadAsStringAsync());
        Assert.Equal(message["content"]![0]!["text"]!.GetValue<string>(),
            string.Concat(events.Where(e => e.Name == "content_block_delta").Select(e => e.Data["delta"]!["text"]!.GetValue<string>())));
        Assert.Equal("message_stop", events[^1].Name);
        Assert.Equal(1, gateway.MockStats.ByUser[tenantId].Requests);
    }

    [Fact]
    public async Task NoKeyAndUnknownPathsAnswerInAnthropicsShape()
    {
        using var client = gateway.CreateClient();
        client.DefaultRequestHeaders.Add(Version, "2023-06-01");

        var noKey = await client.PostAsJsonAsync("/v1/messages", new { model = "gpt-4.1", max_tokens = 5, messages = ChatBodies.Messages() });
        Assert.Equal(HttpStatusCode.Unauthorized, noKey.StatusCode);
        await AssertAnthropicErrorAsync(noKey, "authentication_error", "no key");

        var unknown = await client.PostAsJsonAsync("/v1/messages/batches/nope", new { });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        await AssertAnthropicErrorAsync(unknown, "not_found_error", "an unknown path");
    }

    [Fact]
    public async Task AMessageReservesWhatTheEquivalentChatCompletionReserves()
    {
        var (messagesTenant, messagesKey) = await gateway.CreateTenantWithKeyAsync();
        var (chatTenant, chatKey) = await gateway.CreateTenantWithKeyAsync();
        using var messages = CreateClient(messagesKey);
        using var chat = gateway.CreateTenantClient(chatKey);
        var conversation = new object[] { new { role = "system", content = "Be brief." }, new { role = "user", content = "What is Orleans?" } };

        gateway.MockHold.Close();
        Task<HttpResponseMessage> messagesCall, chatCall;
        try
        {
            messagesCall = messages.PostAsJsonAsync("/v1/messages", new { model = "gpt-4.1", max_tokens = 9, system = "Be brief.", messages = new[] { conversation[1] } });
            chatCall = chat.PostAsJsonAsync("/v1/chat/completions", new { model = "gpt-4.1", max_tokens = 9, messages = conversation });
            await Eventually.HoldsAsync(() => Task.FromResult(gateway.MockHold.Waiting == 2), "both requests wait at the provider");

            Assert.Equal(UsageFigures.Reserved(await gateway.GetUsageAsync(chatTenant)), UsageFigures.Reserved(await gateway.GetUsageAsync(messagesTenant)));
            Assert.Equal(1, UsageFigures.Reserved(await gateway.GetUsageAsync(messagesTenant)).InFlight);
        }
        finally
        {
            gateway.MockHold.Open();
        }

        Assert.Equal(HttpStatusCode.OK, (await messagesCall).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await chatCall).StatusCode);
        Assert.Equal(UsageFigures.Charged(await gateway.GetUsageAsync(chatTenant)), UsageFigures.Charged(await gateway.GetUsageAsync(messagesTenant)));
    }

    [Fact]
    public async Task ASilentUpstreamGetsPingsAndAClientThatLeavesIsChargedWhatWasStreamed()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        var servedBefore = gateway.MockStats.CompletionTokens;
        gateway.MockFaults.Enqueue(new MockFault { Kind = MockFaultKind.StallMidBody, StallAfterChunks = 2 });
        var body = """{"model":"gpt-4.1","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"Hello there"}]}""";
        var timersBefore = gateway.Clock.TimersStarted;

        using (var connection = await RawConnection.OpenAsync(gateway.BaseAddress, key, body, "/v1/messages", $"{Version}: 2023-06-01\r\n"))
        {
            var received = await connection.ReadUntilAsync(text => MessageEvents.Count(text, "\"text_delta\"") >= 2);
            Assert.StartsWith("HTTP/1.1 200", received);

            // The stream is stalled at the provider: once the relay waits for the next chunk, a silence of the ping interval
            // on the gateway's clock shows the client a ping. A wait that began before the second chunk has ended with it.
            var pings = MessageEvents.Count(received, "event: ping");
            var silence = Gateway.ApiFrontend.Messages.MessageStreamRendering.SilencePing;
            await Eventually.HoldsAsync(() => Task.FromResult(gateway.Clock.HasPendingWait(silence, timersBefore)), "the relay waits out a silence for a ping");
            gateway.Clock.Advance(silence);
            received = await connection.ReadUntilAsync(text => MessageEvents.Count(text, "event: ping") > pings).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(MessageEvents.Count(received, "event: ping") > pings, $"A silent stream gets a ping: {received}");
        }

        await Eventually.HoldsAsync(async () => (await gateway.GetUsageAsync(tenantId))["requests"]!.GetValue<long>() == 1, "the abandoned stream is settled");
        var usage = await gateway.GetUsageAsync(tenantId);
        Assert.Equal(2, usage["outputTokens"]!.GetValue<long>());
        Assert.Equal(ChatBodies.PromptTokens(), usage["inputTokens"]!.GetValue<long>());
        Assert.Equal(0, usage["inFlight"]!.GetValue<int>());
        Assert.Equal(gateway.MockStats.CompletionTokens - servedBefore, usage["outputTokens"]!.GetValue<long>());
    }

    [Fact]
    public async Task ReplayedThinkingBlocksCountTowardTheTokenCountAndTheReservation()
    {
        var (withTenant, withKey) = await gateway.CreateTenantWithKeyAsync();
        var (withoutTenant, withoutKey) = await gateway.CreateTenantWithKeyAsync();
        using var with = CreateClient(withKey);
        using var without = CreateClient(withoutKey);
        var thinking = string.Join(' ', Enumerable.Range(0, 400).Select(i => $"step {i} weighs the tide"));
        JsonObject Body(bool replayThinking, bool forCount)
        {
            JsonArray answer = replayThinking
                ? [new JsonObject { ["type"] = "thinking", ["thinking"] = thinking, ["signature"] = "c2ln" },
                    new JsonObject { ["type"] = "redacted_thinking", ["data"] = "cmVkYWN0ZWQtdGhpbmtpbmc=" },
                    new JsonObject { ["type"] = "text", ["text"] = "High tide is at noon." }]
                : [new JsonObject { ["type"] = "text", ["text"] = "High tide is at noon." }];
            var body = new JsonObject
            {
                ["model"] = "gpt-4.1",
                ["messages"] = new JsonArray(
                    new JsonObject { ["role"] = "user", ["content"] = "When is high tide?" },
                    new JsonObject { ["role"] = "assistant", ["content"] = answer },
                    new JsonObject { ["role"] = "user", ["content"] = "And tomorrow?" }),
            };
            if (!forCount)
            {
                body["max_tokens"] = 9;
            }

            return body;
        }

        var counted = await CountAsync(with, Body(replayThinking: true, forCount: true));
        var countedWithout = await CountAsync(with, Body(replayThinking: false, forCount: true));
        Assert.True(counted - countedWithout > 1_000, $"The thinking's {thinking.Length} characters count: {counted} against {countedWithout}.");

        gateway.MockHold.Close();
        Task<HttpResponseMessage> withCall, withoutCall;
        try
        {
            withCall = with.PostAsJsonAsync("/v1/messages", Body(replayThinking: true, forCount: false));
            withoutCall = without.PostAsJsonAsync("/v1/messages", Body(replayThinking: false, forCount: false));
            await Eventually.HoldsAsync(() => Task.FromResult(gateway.MockHold.Waiting == 2), "both requests wait at the provider");

            var reserved = UsageFigures.Reserved(await gateway.GetUsageAsync(withTenant)).ReservedTokens;
            var reservedWithout = UsageFigures.Reserved(await gateway.GetUsageAsync(withoutTenant)).ReservedTokens;
            Assert.Equal(counted - countedWithout, reserved - reservedWithout);
        }
        finally
        {
            gateway.MockHold.Open();
        }

        Assert.Equal(HttpStatusCode.OK, (await withCall).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await withoutCall).StatusCode);
    }

    private static async Task<long> CountAsync(HttpClient client, JsonObject body)
    {
        var response = await client.PostAsJsonAsync("/v1/messages/count_tokens", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!["input_tokens"]!.GetValue<long>();
    }

    [Fact]
    public async Task AStreamCutByTheProviderEndsWithAnErrorEvent()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = CreateClient(key);
        gateway.MockFaults.Enqueue(new MockFault { Kind = MockFaultKind.ResetMidBody, CutAfterChunks = 2 });

        var response = await client.PostAsJsonAsync("/v1/messages", new { model = "gpt-4.1", max_tokens = 20, stream = true, messages = ChatBodies.Messages() });
        var events = MessageEvents.Read(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("message_start", events[0].Name);
        Assert.Equal("error", events[^1].Name);
        Assert.Equal("error", events[^1].Data["type"]!.GetValue<string>());
        Assert.Equal("api_error", events[^1].Data["error"]!["type"]!.GetValue<string>());
        Assert.DoesNotContain(events, e => e.Name == "message_stop");
        var streamed = events.Count(e => e.Name == "content_block_delta");
        Assert.Equal(streamed, (await gateway.GetUsageAsync(tenantId))["outputTokens"]!.GetValue<long>());
    }

    [Fact]
    public async Task AToolUseRoundTripThroughAGeminiModelIsTranslatedBothWays()
    {
        var (_, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = CreateClient(key);
        var tools = JsonNode.Parse("""
            [{"name":"get_time","input_schema":{"type":"object","properties":{}}},
             {"name":"get_weather","input_schema":{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}}}}]
            """)!;
        var question = new JsonObject { ["role"] = "user", ["content"] = "Time, then weather?" };

        // The mock's Gemini answers with two function calls (and STOP, as Gemini does) when the system asks it to.
        var first = await SendAsync(new JsonObject
        {
            ["model"] = "gemini-2.5-flash", ["max_tokens"] = 3, ["system"] = """mock: {"tool_calls": 2}""",
            ["tools"] = tools.DeepClone(), ["messages"] = new JsonArray(question.DeepClone()),
        });

        Assert.Equal("tool_use", first["stop_reason"]!.GetValue<string>());
        var calls = first["content"]!.AsArray().Where(b => b!["type"]!.GetValue<string>() == "tool_use").ToList();
        Assert.Equal(["get_time", "get_weather"], calls.Select(c => c!["name"]!.GetValue<string>()));
        Assert.Equal(2, calls.Select(c => c!["id"]!.GetValue<string>()).Distinct().Count());
        Assert.Empty(calls[0]!["input"]!.AsObject());
        Assert.Equal("Zürich \"1\"", calls[1]!["input"]!["city"]!.GetValue<string>());

        // The round trip: the calls and their results (by id; Gemini matches them by name) go back, and the model answers.
        var results = new JsonArray(calls.Select(c => (JsonNode)new JsonObject
        {
            ["type"] = "tool_result", ["tool_use_id"] = c!["id"]!.GetValue<string>(), ["content"] = c["name"]!.GetValue<string>() == "get_time" ? "12:00" : "sunny",
        }).ToArray());
        var answer = await SendAsync(new JsonObject
        {
            ["model"] = "gemini-2.5-flash", ["max_tokens"] = 3, ["system"] = "Use the tools' results.", ["tools"] = tools.DeepClone(),
            ["messages"] = new JsonArray(
                question.DeepClone(),
                new JsonObject { ["role"] = "assistant", ["content"] = first["content"]!.DeepClone() },
                new JsonObject { ["role"] = "user", ["content"] = results }),
        });

        Assert.Equal("end_turn", answer["stop_reason"]!.GetValue<string>());
        Assert.Equal(MockUsage.CompletionText(3), Assert.Single(answer["content"]!.AsArray())!["text"]!.GetValue<string>());

        async Task<JsonNode> SendAsync(JsonObject body)
        {
            var response = await client.PostAsJsonAsync("/v1/messages", body);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
            return JsonNode.Parse(text)!;
        }
    }

    [Fact]
    public async Task ABodyOverTheLimitIsA413RequestTooLargeAndChargesNothing()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = CreateClient(key);
        const string Head = "{\"model\":\"gpt-4.1\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"", Tail = "\"}]}";
        var body = Head + new string('a', (4 * 1024 * 1024) + 1 - Head.Length - Tail.Length) + Tail; // the limit (4 MiB) and one byte

        var response = await client.PostAsync("/v1/messages", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await AssertAnthropicErrorAsync(response, "request_too_large", "a body over the gateway's limit");
        Assert.Equal((0L, 0L, 0L, 0m), UsageFigures.Charged(await gateway.GetUsageAsync(tenantId)));
    }

    [Fact]
    public async Task AProviderOverloadedOnEveryAttemptIsA529OverloadedErrorAndChargesNothing()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = CreateClient(key);

        // Passed natively to the mock (kind anthropic), which answers 529 to every attempt as its directive asks.
        var response = await client.PostAsync("/v1/messages", new StringContent(
            $$$"""{"model":"claude-sonnet-4.5","max_tokens":5,"metadata":{"user_id":"{{{tenantId}}}"},"messages":[{"role":"user","content":"hi"}],"mock":{"fail_status":529}}""",
            Encoding.UTF8, "application/json"));

        Assert.Equal((HttpStatusCode)529, response.StatusCode);
        await AssertAnthropicErrorAsync(response, "overloaded_error", "an overloaded provider");
        Assert.Contains(gateway.MockDeployments.Default.ReceivedMessages.All, r => r.Text.Contains(tenantId, StringComparison.Ordinal));
        Assert.Equal((0L, 0L, 0L, 0m), UsageFigures.Charged(await gateway.GetUsageAsync(tenantId)));
        Assert.Equal((0, 0L, 0m), UsageFigures.Reserved(await gateway.GetUsageAsync(tenantId)));
    }

    private HttpClient CreateClient(string key)
    {
        var client = gateway.CreateClient();
        client.DefaultRequestHeaders.Add("x-api-key", key);
        client.DefaultRequestHeaders.Add(Version, "2023-06-01");
        return client;
    }

    private static async Task AssertAnthropicErrorAsync(HttpResponseMessage response, string type, string what)
    {
        var body = await response.Content.ReadAsStringAsync();
        var json = JsonNode.Parse(body)!.AsObject();
        Assert.True(json.Select(p => p.Key).SequenceEqual(["type", "error"]), $"{what}: {body}");
        Assert.Equal("error", json["type"]!.GetValue<string>());
        Assert.Equal(type, json["error"]!["type"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(json["error"]!["message"]!.GetValue<string>()), $"{what}: a message says why");
    }
}
