using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Http;

/// <summary>Streams pass through as SSE and are charged exactly: from the usage chunk, or for what was streamed when cut short.</summary>
[Collection(GatewayCollection.Name)]
public sealed class StreamingTests(GatewayFactory gateway)
{
    [Fact]
    public async Task StreamSettlesFromTheUsageChunkAndHidesItWhenTheClientDidNotAsk()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = gateway.CreateTenantClient(key);

        var events = await ReadEventsAsync(await PostStreamAsync(client, new { model = "gpt-4.1", messages = ChatBodies.Messages(), max_tokens = 6, stream = true }));

        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonNode.Parse(e)!.AsObject()).ToList();
        Assert.DoesNotContain(chunks, c => c.ContainsKey("usage"));
        Assert.Equal(6, chunks.Count(c => c["choices"]!.AsArray().Any(choice => choice!["delta"]!["content"]?.GetValue<string>() is { Length: > 0 })));
        var usage = await gateway.GetUsageAsync(tenantId);
        Assert.Equal(ChatBodies.PromptTokens(), usage["inputTokens"]!.GetValue<long>());
        Assert.Equal(6, usage["outputTokens"]!.GetValue<long>());
        Assert.Equal(1, usage["requests"]!.GetValue<long>());
    }

    [Fact]
    public async Task StreamForwardsTheUsageChunkWhenTheClientAskedForIt()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = gateway.CreateTenantClient(key);

        var events = await ReadEventsAsync(await PostStreamAsync(client, new
        {
            model = "gpt-4.1", messages = ChatBodies.Messages(), max_tokens = 4, stream = true,
            stream_options = new { include_usage = true },
        }));

        var usageChunk = JsonNode.Parse(events[^2])!.AsObject();
        Assert.Empty(usageChunk["choices"]!.AsArray());
        Assert.Equal(4, usageChunk["usage"]!["completion_tokens"]!.GetValue<long>());
        Assert.Equal(ChatBodies.PromptTokens(), usageChunk["usage"]!["prompt_tokens"]!.GetValue<long>());
        var usage = await gateway.GetUsageAsync(tenantId);
        Assert.Equal(ChatBodies.PromptTokens(), usage["inputTokens"]!.GetValue<long>());
        Assert.Equal(4, usage["outputTokens"]!.GetValue<long>());
    }

    [Fact]
    public async Task ClientThatHangsUpIsChargedForWhatWasStreamedAndTheUpstreamCallIsCancelled()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        var servedBefore = gateway.MockStats.CompletionTokens;
        var requestsBefore = gateway.MockStats.Requests;
        var body = System.Text.Json.JsonSerializer.Serialize(new
        {
            model = "gpt-4.1", messages = ChatBodies.Messages(), max_tokens = 200, stream = true,
            mock = new { chunk_delay_ms = 100 },
        });

        using (var connection = await RawConnection.OpenAsync(gateway.BaseAddress, key, body))
        {
            var received = await connection.ReadUntilAsync(text => CountContentEvents(text) >= 3);
            Assert.StartsWith("HTTP/1.1 200", received);
        }

        await Eventually.HoldsAsync(
            async () => (await gateway.GetUsageAsync(tenantId))["requests"]!.GetValue<long>() == 1,
            "the abandoned stream is settled");

        // The mock counts a stream when its handler ends, which for a cancelled stream may come after the settlement.
        await Eventually.HoldsAsync(
            () => Task.FromResult(gateway.MockStats.Requests == requestsBefore + 1),
            "the mock provider has counted the cancelled stream");

        var usage = await gateway.GetUsageAsync(tenantId);
        var served = gateway.MockStats.CompletionTokens - servedBefore;
        var charged = usage["outputTokens"]!.GetValue<long>();
        Assert.InRange(charged, 3, 199);
        Assert.Equal(served, charged);
        Assert.Equal(ChatBodies.PromptTokens(), usage["inputTokens"]!.GetValue<long>());
        Assert.Equal(0, usage["inFlight"]!.GetValue<int>());
    }

    [Fact]
    public async Task ClientThatHangsUpBeforeTheAnswerIsChargedNothingAndReleasesItsReservation()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        var servedBefore = gateway.MockStats.Requests;
        var body = System.Text.Json.JsonSerializer.Serialize(new
        {
            model = "gpt-4.1", messages = ChatBodies.Messages(), max_tokens = 5,
            mock = new { latency_ms = 30_000 },
        });

        using (await RawConnection.OpenAsync(gateway.BaseAddress, key, body))
        {
            await Eventually.HoldsAsync(
                async () => (await gateway.GetUsageAsync(tenantId))["inFlight"]!.GetValue<int>() == 1,
                "the request is admitted and waiting for the provider");
        }

        await Eventually.HoldsAsync(
            async () => (await gateway.GetUsageAsync(tenantId))["inFlight"]!.GetValue<int>() == 0,
            "the reservation of the abandoned request is released");
        var usage = await gateway.GetUsageAsync(tenantId);
        Assert.Equal(0, usage["requests"]!.GetValue<long>());
        Assert.Equal(0m, usage["costUsd"]!.GetValue<decimal>());
        Assert.Equal(0m, usage["reservedUsd"]!.GetValue<decimal>());
        Assert.Equal(servedBefore, gateway.MockStats.Requests);
    }

    [Fact]
    public async Task StreamCutByTheProviderEndsWithAnErrorEventAndChargesWhatWasStreamed()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = gateway.CreateTenantClient(key);

        var events = await ReadEventsAsync(await PostStreamAsync(client, new
        {
            model = "gpt-4.1", messages = ChatBodies.Messages(), max_tokens = 20, stream = true,
            mock = new { cut_after_chunks = 3 },
        }));

        Assert.DoesNotContain("[DONE]", events);
        var last = JsonNode.Parse(events[^1])!.AsObject();
        Assert.Equal("upstream_stream_interrupted", last["error"]!["code"]!.GetValue<string>());

        // Charged exactly what reached the client: each content event is one token. A cut connection may lose the last
        // bytes the provider wrote before they were read, but the mock waits a grace before cutting, so at least the
        // first chunk arrives (without it, the charge would be compared with an empty stream: 0 == 0).
        var streamed = CountContentEvents(string.Join("\n\n", events));
        Assert.InRange(streamed, 1, 3);
        var usage = await gateway.GetUsageAsync(tenantId);
        Assert.Equal(streamed, usage["outputTokens"]!.GetValue<long>());
        Assert.Equal(ChatBodies.PromptTokens(), usage["inputTokens"]!.GetValue<long>());
    }

    [Fact]
    public async Task StreamCarriesRequestIdAndRateLimitHeaders()
    {
        var (_, key) = await gateway.CreateTenantWithKeyAsync(new { tier = "silver" });
        using var client = gateway.CreateTenantClient(key);

        using var response = await PostStreamAsync(client, new { model = "gpt-4.1", messages = ChatBodies.Messages(), max_tokens = 2, stream = true });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("req_", response.Headers.GetValues("x-request-id").Single(), StringComparison.Ordinal);
        Assert.Equal("300", response.Headers.GetValues("x-ratelimit-limit-requests").Single());
        Assert.Equal("299", response.Headers.GetValues("x-ratelimit-remaining-requests").Single());
        Assert.Equal("500000", response.Headers.GetValues("x-ratelimit-limit-tokens").Single());
    }

    private static int CountContentEvents(string sse) =>
        sse.Split("\n\n").Count(e => e.Contains("\"content\":\"", StringComparison.Ordinal) && !e.Contains("\"content\":\"\"", StringComparison.Ordinal));

    private static async Task<HttpResponseMessage> PostStreamAsync(HttpClient client, object body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = JsonContent.Create(body) };
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            Expect.Equal(HttpStatusCode.OK, response.StatusCode, $"Expected a stream: {await response.Content.ReadAsStringAsync()}");
        }

        return response;
    }

    private static async Task<string[]> ReadEventsAsync(HttpResponseMessage response)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            return text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
                .Select(e => e.StartsWith("data: ", StringComparison.Ordinal) ? e[6..] : throw new Xunit.Sdk.XunitException($"Not an SSE data event: {e}"))
                .ToArray();
        }
    }
}
