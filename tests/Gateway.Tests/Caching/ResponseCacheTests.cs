using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.Grains.Caching;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Caching;

/// <summary>
/// The tenant-scoped response cache through the HTTP API: hits, what they cost and record, the request headers, TTL on the
/// gateway's clock, one stored answer for both forms (plain and streamed), what is never stored, and single flight.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class ResponseCacheTests(GatewayFactory gateway)
{
    private static readonly object Cached = new { tier = "gold", cache = new { enabled = true, ttlSeconds = 60 } };

    [Fact]
    public async Task AnIdenticalRequestIsAnsweredFromTheCacheFreeOfChargeAndRecordedAsCached()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync(Cached);
        using var client = gateway.CreateTenantClient(key);
        var body = Body(tenantId);

        var (first, firstBody) = await PostAsync(client, body);
        var (second, secondBody) = await PostAsync(client, body);

        Assert.Equal("MISS", CacheHeader(first));
        Assert.Equal("HIT", CacheHeader(second));
        Assert.Equal(firstBody, secondBody);
        Assert.Equal(1, gateway.MockStats.ByUser[tenantId].Requests);
        var prompt = ChatBodies.PromptTokens();
        var usage = await gateway.GetUsageAsync(tenantId);
        Assert.Equal(2, usage["requests"]!.GetValue<long>());
        Assert.Equal(prompt, usage["inputTokens"]!.GetValue<long>());
        Assert.Equal(5, usage["outputTokens"]!.GetValue<long>());
        Assert.Equal(ChatBodies.Gpt41CostUsd(prompt, 5), usage["costUsd"]!.GetValue<decimal>());
        Assert.Equal(1, usage["cacheHits"]!.GetValue<long>());
        Assert.Equal(prompt + 5, usage["cacheSavedTokens"]!.GetValue<long>());
        Assert.Equal(0, usage["inFlight"]!.GetValue<int>());

        var ledger = await LedgerAsync(tenantId);
        Assert.Equal(["completed", "cached"], ledger.Select(e => e["outcome"]!.GetValue<string>()));
        Assert.Equal(0m, ledger[1]["costUsd"]!.GetValue<decimal>());
        Assert.Equal(5, ledger[1]["outputTokens"]!.GetValue<long>());
        Assert.Equal(second.Headers.GetValues("x-request-id").Single(), ledger[1]["requestId"]!.GetValue<string>());
    }

    [Fact]
    public async Task AHitIsChargedTheTenantsFractionOfTheStoredAnswersCost()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync(new { tier = "gold", cache = new { enabled = true, hitCostFraction = 0.25 } });
        using var client = gateway.CreateTenantClient(key);

        await PostAsync(client, Body(tenantId));
        var (hit, _) = await PostAsync(client, Body(tenantId));

        Assert.Equal("HIT", CacheHeader(hit));
        var full = ChatBodies.Gpt41CostUsd(ChatBodies.PromptTokens(), 5);
        Assert.Equal(full + (full * 0.25m), (await gateway.GetUsageAsync(tenantId))["costUsd"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task TwoTenantsSendingByteIdenticalRequestsNeverShareAnEntry()
    {
        var (a, keyA) = await gateway.CreateTenantWithKeyAsync(Cached);
        var (b, keyB) = await gateway.CreateTenantWithKeyAsync(Cached);
        using var clientA = gateway.CreateTenantClient(keyA);
        using var clientB = gateway.CreateTenantClient(keyB);
        var body = Body("shared-" + a);
        var servedBefore = gateway.MockStats.ByUser.TryGetValue("shared-" + a, out var before) ? before.Requests : 0;

        var (fromA, _) = await PostAsync(clientA, body);
        var (fromB, _) = await PostAsync(clientB, body);
        var (againB, _) = await PostAsync(clientB, body);

        Assert.Equal("MISS", CacheHeader(fromA));
        Assert.Equal("MISS", CacheHeader(fromB));
        Assert.Equal("HIT", CacheHeader(againB));
        Assert.Equal(servedBefore + 2, gateway.MockStats.ByUser["shared-" + a].Requests);
        Assert.Equal(0, (await gateway.GetUsageAsync(a))["cacheHits"]!.GetValue<long>());
        Assert.Equal(1, (await gateway.GetUsageAsync(b))["cacheHits"]!.GetValue<long>());
    }

    [Fact]
    public async Task OnlyRequestsAskingForDeterminismAreCachedUnlessTheTenantSaysOtherwise()
    {
        var (strict, strictKey) = await gateway.CreateTenantWithKeyAsync(Cached);
        var (loose, looseKey) = await gateway.CreateTenantWithKeyAsync(new { tier = "gold", cache = new { enabled = true, deterministicOnly = false } });
        using var strictClient = gateway.CreateTenantClient(strictKey);
        using var looseClient = gateway.CreateTenantClient(looseKey);

        var warm = Body(strict, temperature: 0.7);
        await PostAsync(strictClient, warm);
        var (again, _) = await PostAsync(strictClient, warm);
        var (seeded, _) = await PostAsync(strictClient, Body(strict, temperature: 0.7, seed: 42));
        var (seededAgain, _) = await PostAsync(strictClient, Body(strict, temperature: 0.7, seed: 42));
        await PostAsync(looseClient, Body(loose, temperature: 0.7));
        var (looseAgain, _) = await PostAsync(looseClient, Body(loose, temperature: 0.7));

        Assert.Equal("BYPASS", CacheHeader(again));
        Assert.Equal("MISS", CacheHeader(seeded));
        Assert.Equal("HIT", CacheHeader(seededAgain));
        Assert.Equal("HIT", CacheHeader(looseAgain));
        Assert.Equal(3, gateway.MockStats.ByUser[strict].Requests);
    }

    [Fact]
    public async Task NoStoreNeitherReadsNorStoresAndNoCacheGoesUpstreamButStores()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync(Cached);
        using var client = gateway.CreateTenantClient(key);
        var body = Body(tenantId);

        var (noStore, _) = await PostAsync(client, body, "no-store");
        var (afterNoStore, _) = await PostAsync(client, body);
        var (noCache, _) = await PostAsync(client, body, "no-cache");
        var (hit, _) = await PostAsync(client, body);

        Assert.Equal("BYPASS", CacheHeader(noStore));
        Assert.Equal("MISS", CacheHeader(afterNoStore));
        Assert.Equal("MISS", CacheHeader(noCache));
        Assert.Equal("HIT", CacheHeader(hit));
        Assert.Equal(3, gateway.MockStats.ByUser[tenantId].Requests);
    }

    [Theory]
    [InlineData("x-gateway-cache", "sometimes")]
    [InlineData("x-gateway-cache-ttl", "0")]
    [InlineData("x-gateway-cache-ttl", "ten")]
    [InlineData("x-gateway-cache-ttl", "999999999")]
    public async Task ABadCacheHeaderIsA400AndNothingIsCharged(string header, string value)
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync(Cached);
        using var client = gateway.CreateTenantClient(key);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = JsonContent.Create(Body(tenantId)) };
        request.Headers.TryAddWithoutValidation(header, value);

        var response = await client.SendAsync(request);

        await OpenAiErrorAssertions.AssertOpenAiErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", header, null, $"{header}: {value}");
        Assert.Equal(0, (await gateway.GetUsageAsync(tenantId))["requests"]!.GetValue<long>());
    }

    [Fact]
    public async Task AnEntryLivesItsTtlOnTheGatewaysClockAndARequestMayAskForAnother()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync(Cached);
        using var client = gateway.CreateTenantClient(key);
        var body = Body(tenantId);
        var shortLived = Body(tenantId, seed: 7);

        await PostAsync(client, body);
        await PostAsync(client, shortLived, ttl: 10);
        gateway.Clock.Advance(TimeSpan.FromSeconds(9));
        var (shortStillThere, _) = await PostAsync(client, shortLived);
        gateway.Clock.Advance(TimeSpan.FromSeconds(2));
        var (shortGone, _) = await PostAsync(client, shortLived);
        var (stillThere, _) = await PostAsync(client, body);
        gateway.Clock.Advance(TimeSpan.FromSeconds(50));
        var (gone, _) = await PostAsync(client, body);

        Assert.Equal("HIT", CacheHeader(shortStillThere));
        Assert.Equal("MISS", CacheHeader(shortGone));
        Assert.Equal("HIT", CacheHeader(stillThere));
        Assert.Equal("MISS", CacheHeader(gone));
        Assert.Equal(4, gateway.MockStats.ByUser[tenantId].Requests);
    }

    [Fact]
    public async Task AStoredAnswerIsReplayedAsAStreamWithItsUsageChunkWhenAsked()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync(Cached);
        using var client = gateway.CreateTenantClient(key);
        var (_, stored) = await PostAsync(client, Body(tenantId));

        var (response, events) = await StreamAsync(client, Body(tenantId, stream: true, includeUsage: true));

        Assert.Equal("HIT", CacheHeader(response));
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonNode.Parse(e)!.AsObject()).ToList();
        var completion = JsonNode.Parse(stored)!;
        Assert.Equal(completion["choices"]![0]!["message"]!["content"]!.GetValue<string>(), Content(chunks));
        Assert.Equal("stop", chunks.SelectMany(c => c["choices"]!.AsArray()).Select(c => c!["finish_reason"]?.GetValue<string>()).Last(f => f is not null));
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c["object"]!.GetValue<string>()));
        Assert.Equal(completion["usage"]!.ToJsonString(), chunks[^1]["usage"]!.ToJsonString());
        Assert.Equal(1, gateway.MockStats.ByUser[tenantId].Requests);
    }

    [Fact]
    public async Task AStreamedAnswerIsStoredWholeAndAnswersAPlainRequest()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync(Cached);
        using var client = gateway.CreateTenantClient(key);

        var (miss, events) = await StreamAsync(client, Body(tenantId, stream: true));
        var (hit, stored) = await PostAsync(client, Body(tenantId));
        var (replayed, replayedEvents) = await StreamAsync(client, Body(tenantId, stream: true));

        Assert.Equal("MISS", CacheHeader(miss));
        Assert.Equal("HIT", CacheHeader(hit));
        Assert.Equal("HIT", CacheHeader(replayed));
        var streamedText = Content(events[..^1].Select(e => JsonNode.Parse(e)!.AsObject()));
        var completion = JsonNode.Parse(stored)!;
        Assert.Equal(streamedText, completion["choices"]![0]!["message"]!["content"]!.GetValue<string>());
        Assert.Equal("gpt-4.1", completion["model"]!.GetValue<string>());
        Assert.Equal(5, completion["usage"]!["completion_tokens"]!.GetValue<long>());
        Assert.DoesNotContain(replayedEvents[..^1], e => JsonNode.Parse(e)!.AsObject().ContainsKey("usage"));
        Assert.Equal(streamedText, Content(replayedEvents[..^1].Select(e => JsonNode.Parse(e)!.AsObject())));
        Assert.Equal(1, gateway.MockStats.ByUser[tenantId].Requests);
    }

    [Fact]
    public async Task AnswersCutAtTheirLengthCutStreamsAndErrorsAreNeverStored()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync(Cached);
        using var client = gateway.CreateTenantClient(key);
        var capped = Body(tenantId, mock: new JsonObject { ["completion_tokens"] = 20 });
        var cut = Body(tenantId, stream: true, mock: new JsonObject { ["cut_after_chunks"] = 2 });
        var failing = Body(tenantId, mock: new JsonObject { ["fail_status"] = 400 });

        await PostAsync(client, capped);
        var (cappedAgain, _) = await PostAsync(client, capped);
        await client.SendAsync(StreamRequest(cut), HttpCompletionOption.ResponseContentRead);
        var (cutAgain, _) = await StreamAsync(client, cut, expectComplete: false);
        var failed = await client.PostAsJsonAsync("/v1/chat/completions", failing);
        var failedAgain = await client.PostAsJsonAsync("/v1/chat/completions", failing);

        Assert.Equal("MISS", CacheHeader(cappedAgain));
        Assert.Equal("MISS", CacheHeader(cutAgain));
        Assert.Equal(HttpStatusCode.BadRequest, failed.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, failedAgain.StatusCode);
        Assert.Equal("MISS", CacheHeader(failedAgain));
        Assert.Equal(0, (await gateway.GetUsageAsync(tenantId))["cacheHits"]!.GetValue<long>());
    }

    [Fact]
    public async Task IdenticalConcurrentRequestsOfOneTenantMakeOneUpstreamCall()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync(Cached);
        using var client = gateway.CreateTenantClient(key);
        var cache = gateway.Services.GetRequiredService<ResponseCache>();
        var waitingBefore = cache.Waiting;
        gateway.MockHold.Close();
        Task<(HttpResponseMessage, string)>[] requests;
        try
        {
            requests = [PostAsync(client, Body(tenantId)), PostAsync(client, Body(tenantId)), PostAsync(client, Body(tenantId, stream: true))];
            // The leader's call reaches the held mock on its own schedule, after the followers may have joined it.
            await Eventually.HoldsAsync(() => Task.FromResult(cache.Waiting == waitingBefore + 2 && gateway.MockHold.Waiting >= 1),
                "two requests wait for the first one's answer, whose call waits at the provider");
            Assert.Equal(1, gateway.MockHold.Waiting);
        }
        finally
        {
            gateway.MockHold.Open();
        }

        var answers = await Task.WhenAll(requests);
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Item1.StatusCode));
        Assert.Equal(["HIT", "HIT", "MISS"], answers.Select(a => CacheHeader(a.Item1)).Order());
        Assert.Equal(1, gateway.MockStats.ByUser[tenantId].Requests);
        Assert.Equal(2, (await gateway.GetUsageAsync(tenantId))["cacheHits"]!.GetValue<long>());
    }

    [Theory]
    [InlineData("""{"ttlSeconds":60}""", "cache.enabled")]
    [InlineData("""{"enabled":"yes"}""", "cache.enabled")]
    [InlineData("""{"enabled":true,"ttlSeconds":0}""", "cache.ttlSeconds")]
    [InlineData("""{"enabled":true,"maxEntries":-1}""", "cache.maxEntries")]
    [InlineData("""{"enabled":true,"hitCostFraction":1.5}""", "cache.hitCostFraction")]
    [InlineData("""{"enabled":true,"deterministicOnly":1}""", "cache.deterministicOnly")]
    [InlineData("""{"enabled":true,"size":10}""", "cache.size")]
    [InlineData("""[true]""", "cache")]
    public async Task ABadCacheConfigurationIsRefusedNamingTheField(string cache, string param)
    {
        using var admin = gateway.CreateAdminClient();
        var body = new JsonObject { ["id"] = "t-" + Guid.NewGuid().ToString("N")[..12], ["tier"] = "gold", ["cache"] = JsonNode.Parse(cache) };

        var response = await admin.PostAsJsonAsync("/admin/tenants", body);

        await OpenAiErrorAssertions.AssertOpenAiErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", param, null, cache);
    }

    [Fact]
    public async Task ATenantTurnsItsCacheOnAndOffWithPatch()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = gateway.CreateTenantClient(key);
        using var admin = gateway.CreateAdminClient();

        var (off, _) = await PostAsync(client, Body(tenantId));
        var on = await admin.PatchAsJsonAsync($"/admin/tenants/{tenantId}", new { cache = new { enabled = true, ttlSeconds = 120 } });
        await PostAsync(client, Body(tenantId));
        var (hit, _) = await PostAsync(client, Body(tenantId));
        var removed = await admin.PatchAsync($"/admin/tenants/{tenantId}", JsonContent.Create(new JsonObject { ["cache"] = null }));
        var (offAgain, _) = await PostAsync(client, Body(tenantId));

        Assert.Equal("BYPASS", CacheHeader(off));
        Assert.Equal(HttpStatusCode.OK, on.StatusCode);
        var settings = (await on.Content.ReadFromJsonAsync<JsonObject>())!["cache"]!;
        Assert.Equal(120, settings["ttlSeconds"]!.GetValue<int>());
        Assert.True(settings["deterministicOnly"]!.GetValue<bool>());
        Assert.Equal("HIT", CacheHeader(hit));
        Assert.Equal(HttpStatusCode.OK, removed.StatusCode);
        Assert.Null((await removed.Content.ReadFromJsonAsync<JsonObject>())!["cache"]);
        Assert.Equal("BYPASS", CacheHeader(offAgain));
    }

    internal static JsonObject Body(string user, double? temperature = 0, int? seed = null, bool stream = false, bool includeUsage = false, JsonObject? mock = null)
    {
        var body = new JsonObject
        {
            ["model"] = "gpt-4.1",
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Hello there" }),
            ["max_tokens"] = 5,
            ["user"] = user,
        };
        if (temperature is { } t)
        {
            body["temperature"] = t;
        }

        if (seed is { } s)
        {
            body["seed"] = s;
        }

        if (stream)
        {
            body["stream"] = true;
        }

        if (includeUsage)
        {
            body["stream_options"] = new JsonObject { ["include_usage"] = true };
        }

        if (mock is not null)
        {
            body["mock"] = mock;
        }

        return body;
    }

    internal static string? CacheHeader(HttpResponseMessage response) =>
        response.Headers.TryGetValues("x-gateway-cache", out var values) ? values.Single() : null;

    internal static async Task<(HttpResponseMessage Response, string Body)> PostAsync(HttpClient client, JsonObject body, string? directive = null, int? ttl = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = JsonContent.Create(body.DeepClone()) };
        if (directive is not null)
        {
            request.Headers.Add("x-gateway-cache", directive);
        }

        if (ttl is { } seconds)
        {
            request.Headers.Add("x-gateway-cache-ttl", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (body["stream"] is null)
        {
            Assert.True(response.StatusCode == HttpStatusCode.OK || body["mock"] is not null, $"{(int)response.StatusCode}: {text}");
        }

        return (response, text);
    }

    private static HttpRequestMessage StreamRequest(JsonObject body) =>
        new(HttpMethod.Post, "/v1/chat/completions") { Content = JsonContent.Create(body.DeepClone()) };

    private static async Task<(HttpResponseMessage Response, string[] Events)> StreamAsync(HttpClient client, JsonObject body, bool expectComplete = true)
    {
        var response = await client.SendAsync(StreamRequest(body));
        var text = await response.Content.ReadAsStringAsync();
        Expect.Equal(HttpStatusCode.OK, response.StatusCode, text);
        var events = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e["data: ".Length..]).ToArray();
        if (expectComplete)
        {
            Assert.Equal("[DONE]", events[^1]);
        }

        return (response, events);
    }

    private static string Content(IEnumerable<JsonObject> chunks) => string.Concat(chunks
        .SelectMany(c => c["choices"]!.AsArray())
        .Select(c => c!["delta"]?["content"]?.GetValue<string>() ?? ""));

    private async Task<List<JsonObject>> LedgerAsync(string tenantId)
    {
        using var admin = gateway.CreateAdminClient();
        var page = await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{tenantId}/ledger");
        return page!["data"]!.AsArray().Select(e => e!.AsObject()).ToList();
    }
}
