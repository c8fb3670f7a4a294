using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using static Gateway.Tests.Infrastructure.OpenAiErrorAssertions;

namespace Gateway.Tests.Http;

/// <summary>
/// Every bad input is refused with its status and an OpenAI error body, carries a request id, charges the
/// tenant nothing and never reaches (or is never counted by) the provider.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class BadInputTests(GatewayFactory gateway)
{
    private const string Messages = """[{"role":"user","content":"Hello there"}]""";
    private const long FourMiB = 4 * 1024 * 1024;

    public static TheoryData<string, string, string?> InvalidBodies() => new()
    {
        // case name, body, expected param (every one of these is a 400 invalid_request_error without a code)
        { "malformed JSON", """{"model":"gpt-4.1","messages":""", null },
        { "trailing garbage", """{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}]} x""", null },
        { "empty body", "", null },
        { "nested deeper than 64", "{\"model\":\"gpt-4.1\",\"messages\":" + Messages + ",\"x\":" + new string('[', 70) + new string(']', 70) + "}", null },
        { "body is an array", "[" + Messages + "]", null },
        { "body is a string", "\"gpt-4.1\"", null },
        { "body is a number", "42", null },
        { "body is null", "null", null },
        { "missing model", "{\"messages\":" + Messages + "}", "model" },
        { "model is a number", "{\"model\":41,\"messages\":" + Messages + "}", "model" },
        { "model is empty", "{\"model\":\"\",\"messages\":" + Messages + "}", "model" },
        { "model is null", "{\"model\":null,\"messages\":" + Messages + "}", "model" },
        { "missing messages", """{"model":"gpt-4.1"}""", "messages" },
        { "empty messages", """{"model":"gpt-4.1","messages":[]}""", "messages" },
        { "messages is a string", """{"model":"gpt-4.1","messages":"Hello there"}""", "messages" },
        { "messages is an object", """{"model":"gpt-4.1","messages":{"role":"user","content":"hi"}}""", "messages" },
        { "messages is null", """{"model":"gpt-4.1","messages":null}""", "messages" },
        { "message is a string", """{"model":"gpt-4.1","messages":["Hello there"]}""", "messages[0]" },
        { "message without role", """{"model":"gpt-4.1","messages":[{"content":"hi"}]}""", "messages[0].role" },
        { "second message without role", """{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"},{"content":"again"}]}""", "messages[1].role" },
        { "unknown role", """{"model":"gpt-4.1","messages":[{"role":"robot","content":"hi"}]}""", "messages[0].role" },
        { "role is a number", """{"model":"gpt-4.1","messages":[{"role":1,"content":"hi"}]}""", "messages[0].role" },
        { "content is a number", """{"model":"gpt-4.1","messages":[{"role":"user","content":42}]}""", "messages[0].content" },
        { "content is an object", """{"model":"gpt-4.1","messages":[{"role":"user","content":{"text":"hi"}}]}""", "messages[0].content" },
        { "content is a boolean", """{"model":"gpt-4.1","messages":[{"role":"user","content":true}]}""", "messages[0].content" },
        { "user message without content", """{"model":"gpt-4.1","messages":[{"role":"user"}]}""", "messages[0].content" },
        { "user content null", """{"model":"gpt-4.1","messages":[{"role":"user","content":null}]}""", "messages[0].content" },
        { "max_tokens negative", WithField("max_tokens", "-1"), "max_tokens" },
        { "max_tokens zero", WithField("max_tokens", "0"), "max_tokens" },
        { "max_tokens string", WithField("max_tokens", "\"5\""), "max_tokens" },
        { "max_tokens fractional", WithField("max_tokens", "5.5"), "max_tokens" },
        { "max_tokens exponent 1e12", WithField("max_tokens", "1e12"), "max_tokens" },
        { "max_tokens absurd 10^12", WithField("max_tokens", "1000000000000"), "max_tokens" },
        { "max_tokens beyond int64", WithField("max_tokens", "99999999999999999999999"), "max_tokens" },
        { "max_tokens above the model cap", WithField("max_tokens", "32769"), "max_tokens" },
        { "max_tokens boolean", WithField("max_tokens", "true"), "max_tokens" },
        { "max_completion_tokens negative", WithField("max_completion_tokens", "-1"), "max_completion_tokens" },
        { "max_completion_tokens zero", WithField("max_completion_tokens", "0"), "max_completion_tokens" },
        { "max_completion_tokens string", WithField("max_completion_tokens", "\"5\""), "max_completion_tokens" },
        { "max_completion_tokens fractional", WithField("max_completion_tokens", "5.5"), "max_completion_tokens" },
        { "max_completion_tokens exponent 1e12", WithField("max_completion_tokens", "1e12"), "max_completion_tokens" },
        { "max_completion_tokens absurd 10^12", WithField("max_completion_tokens", "1000000000000"), "max_completion_tokens" },
        { "max_completion_tokens above the model cap", WithField("max_completion_tokens", "32769"), "max_completion_tokens" },
        { "stream is a string", WithField("stream", "\"true\""), "stream" },
        { "stream is a number", WithField("stream", "1"), "stream" },
        { "stream is an object", WithField("stream", "{}"), "stream" },
        { "n zero", WithField("n", "0"), "n" },
        { "n 1000", WithField("n", "1000"), "n" },
        { "n negative", WithField("n", "-2"), "n" },
        { "n string", WithField("n", "\"2\""), "n" },
        { "stream_options is a string", WithField("stream_options", "\"usage\""), "stream_options" },
    };

    public static TheoryData<string, string> TokenCapsOfOtherModels() => new()
    {
        // deepseek-v3.2 caps output at 8192: what passes for gpt-4.1 is refused for it.
        { "deepseek-v3.2", "max_tokens" },
        { "deepseek-chat", "max_completion_tokens" },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task AnInvalidChatBodyIsA400NamingTheParamAndChargesNothing(string caseName, string body, string? param)
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        var before = await SnapshotAsync(tenantId);
        using var client = gateway.CreateTenantClient(key);

        using var response = await PostChatAsync(client, body);

        await AssertOpenAiErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", param, code: null, caseName);
        await AssertNothingChargedAsync(tenantId, before, caseName);
    }

    [Theory]
    [MemberData(nameof(TokenCapsOfOtherModels))]
    public async Task AnOutputLimitAboveTheRequestedModelsCapIsA400(string model, string field)
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        var before = await SnapshotAsync(tenantId);
        using var client = gateway.CreateTenantClient(key);

        using var aboveCap = await PostChatAsync(client, $$"""{"model":"{{model}}","messages":{{Messages}},"{{field}}":8193}""");

        await AssertOpenAiErrorAsync(aboveCap, HttpStatusCode.BadRequest, "invalid_request_error", field, code: null, $"{field} 8193 for {model}");
        await AssertNothingChargedAsync(tenantId, before, $"{field} 8193 for {model}");
    }

    [Theory]
    [InlineData("max_tokens at the gpt-4.1 cap", ""","max_tokens":32768""", 1)]
    [InlineData("max_completion_tokens at the gpt-4.1 cap", ""","max_completion_tokens":32768""", 1)]
    [InlineData("n at its maximum", ""","n":128,"max_tokens":1""", 128)]
    [InlineData("stream null", ""","stream":null,"max_tokens":1""", 1)]
    public async Task ValuesAtTheLimitsAreAccepted(string caseName, string fields, long outputTokens)
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = gateway.CreateTenantClient(key);

        using var response = await PostChatAsync(client, "{\"model\":\"gpt-4.1\",\"messages\":" + Messages + fields + ",\"mock\":{\"completion_tokens\":1}}");

        var text = await response.Content.ReadAsStringAsync();
        Expect.Equal(HttpStatusCode.OK, response.StatusCode, $"{caseName}: {text}");
        var usage = await gateway.GetUsageAsync(tenantId);
        Assert.Equal(outputTokens, usage["outputTokens"]!.GetValue<long>());
    }

    [Fact]
    public async Task ARequestWithoutAKeyIsA401MissingApiKey()
    {
        var (tenantId, _) = await gateway.CreateTenantWithKeyAsync();
        var before = await SnapshotAsync(tenantId);
        using var client = gateway.CreateClient();

        using var response = await PostChatAsync(client, ValidBody());

        await AssertOpenAiErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_request_error", null, "missing_api_key", "no key");
        await AssertNothingChargedAsync(tenantId, before, "no key");
    }

    [Theory]
    [InlineData("Bearer", "sk-")]
    [InlineData("Bearer", "sk-proj-")]
    [InlineData("Bearer", "not-a-gateway-key-")]
    [InlineData("x-api-key", "sk-")]
    public async Task ARequestWithAnUnknownKeyIsA401InvalidApiKey(string scheme, string prefix)
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        var before = await SnapshotAsync(tenantId);
        var wrong = prefix + Convert.ToBase64String(Guid.NewGuid().ToByteArray()).TrimEnd('=').Replace('+', '-').Replace('/', '_') + "0123456789";
        Assert.NotEqual(key, wrong);
        using var client = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = JsonBody(ValidBody()) };
        if (scheme == "x-api-key")
        {
            request.Headers.Add("x-api-key", wrong);
        }
        else
        {
            request.Headers.Authorization = new AuthenticationHeaderValue(scheme, wrong);
        }

        using var response = await client.SendAsync(request);

        var error = await AssertOpenAiErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_request_error", null, "invalid_api_key", $"{scheme} {prefix}…");
        Assert.DoesNotContain(wrong, error["message"]!.GetValue<string>(), StringComparison.Ordinal); // the 401 does not echo the key
        await AssertNothingChargedAsync(tenantId, before, "unknown key");
    }

    [Fact]
    public async Task ARevokedKeyIsA401InvalidApiKeyAndItsTenantIsNotCharged()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = gateway.CreateTenantClient(key);
        using var admin = gateway.CreateAdminClient();

        // The key works (and is now in the frontend's key cache) before it is revoked.
        using (var models = await client.GetAsync("/v1/models"))
        {
            Assert.Equal(HttpStatusCode.OK, models.StatusCode);
        }

        var tenant = await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{tenantId}");
        var keyId = tenant!["keys"]!.AsArray().Single()!["id"]!.GetValue<string>();
        using (var revoke = await admin.DeleteAsync($"/admin/tenants/{tenantId}/keys/{keyId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        }

        gateway.Clock.Advance(TimeSpan.FromSeconds(1));
        var before = await SnapshotAsync(tenantId);

        using var response = await PostChatAsync(client, ValidBody());

        await AssertOpenAiErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_request_error", null, "invalid_api_key", "revoked key");
        await AssertNothingChargedAsync(tenantId, before, "revoked key");
    }

    [Fact]
    public async Task AModelOutsideTheTenantsAllowedModelsIsA403ModelNotAllowed()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync(new { tier = "gold", allowedModels = new[] { "deepseek-v3.2" } });
        var before = await SnapshotAsync(tenantId);
        using var client = gateway.CreateTenantClient(key);

        using var response = await PostChatAsync(client, ValidBody());

        await AssertOpenAiErrorAsync(response, HttpStatusCode.Forbidden, "invalid_request_error", "model", "model_not_allowed", "model not allowed");
        await AssertNothingChargedAsync(tenantId, before, "model not allowed");
    }

    [Fact]
    public async Task AnAliasOfAModelTheTenantMayNotUseIsA403ModelNotAllowed()
    {
        // claude-sonnet-4-5 is an alias of claude-sonnet-4.5, which this tenant may not use.
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync(new { tier = "gold", allowedModels = new[] { "gpt-4.1" } });
        var before = await SnapshotAsync(tenantId);
        using var client = gateway.CreateTenantClient(key);

        using var response = await PostChatAsync(client, $$"""{"model":"claude-sonnet-4-5","messages":{{Messages}},"max_tokens":5}""");

        await AssertOpenAiErrorAsync(response, HttpStatusCode.Forbidden, "invalid_request_error", "model", "model_not_allowed", "alias of a model not allowed");
        await AssertNothingChargedAsync(tenantId, before, "alias of a model not allowed");
    }

    [Theory]
    [InlineData("gpt-5-ultra")]
    [InlineData("GPT 4.1")]
    [InlineData("deepseek-chat-v9")]
    public async Task AnUnknownModelIsA404ModelNotFound(string model)
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        var before = await SnapshotAsync(tenantId);
        using var client = gateway.CreateTenantClient(key);

        using var response = await PostChatAsync(client, $$"""{"model":"{{model}}","messages":{{Messages}},"max_tokens":5}""");

        var error = await AssertOpenAiErrorAsync(response, HttpStatusCode.NotFound, "invalid_request_error", "model", "model_not_found", $"model {model}");
        Assert.Contains(model, error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        await AssertNothingChargedAsync(tenantId, before, $"model {model}");
    }

    [Fact]
    public async Task ABodyOverFourMiBWithContentLengthIsA413RequestTooLarge()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        var before = await SnapshotAsync(tenantId);
        using var client = gateway.CreateTenantClient(key);
        var body = OversizedBody(FourMiB + 1);
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var response = await client.PostAsync("/v1/chat/completions", content);

        await AssertOpenAiErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "invalid_request_error", null, "request_too_large", "4 MiB + 1 with Content-Length");
        await AssertNothingChargedAsync(tenantId, before, "oversized body");
    }

    [Fact]
    public async Task ABodyOverFourMiBWithoutContentLengthIsA413RequestTooLarge()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        var before = await SnapshotAsync(tenantId);
        using var client = gateway.CreateTenantClient(key);
        using var content = new UnknownLengthContent(OversizedBody(FourMiB + 1));

        using var response = await client.PostAsync("/v1/chat/completions", content);

        await AssertOpenAiErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "invalid_request_error", null, "request_too_large", "4 MiB + 1, chunked");
        await AssertNothingChargedAsync(tenantId, before, "oversized chunked body");
    }

    [Fact]
    public async Task ABodyOfExactlyFourMiBIsNotRefusedForItsSize()
    {
        var (_, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = gateway.CreateTenantClient(key);
        using var content = new ByteArrayContent(OversizedBody(FourMiB));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var response = await client.PostAsync("/v1/chat/completions", content);

        // The filler is whitespace outside the messages, so the body is valid and is served.
        var text = await response.Content.ReadAsStringAsync();
        Expect.Equal(HttpStatusCode.OK, response.StatusCode, $"A body of exactly the limit should be served: {text}");
    }

    [Fact]
    public async Task AnUpstream500IsA502AndChargesNothing()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        var before = await SnapshotAsync(tenantId);
        using var client = gateway.CreateTenantClient(key);

        using var response = await PostChatAsync(client, ValidBody(mock: """{"fail_status":500}"""));

        await AssertOpenAiErrorAsync(response, HttpStatusCode.BadGateway, "server_error", null, "upstream_error", "upstream 500");
        Assert.False(response.Headers.Contains("Retry-After"), "An upstream 500 without Retry-After gives none.");
        await AssertNothingChargedAsync(tenantId, before, "upstream 500");
        await AssertNothingReservedAsync(tenantId, "upstream 500");
    }

    [Theory]
    [InlineData(500, 502, "server_error", "upstream_error")]
    [InlineData(502, 502, "server_error", "upstream_error")]
    [InlineData(401, 502, "server_error", "upstream_auth_failed")]
    [InlineData(403, 502, "server_error", "upstream_auth_failed")]
    [InlineData(504, 504, "server_error", "upstream_timeout")]
    [InlineData(404, 400, "invalid_request_error", "upstream_rejected")]
    [InlineData(409, 409, "invalid_request_error", "upstream_rejected")]
    [InlineData(413, 413, "invalid_request_error", "upstream_rejected")]
    [InlineData(422, 422, "invalid_request_error", "upstream_rejected")]
    public async Task AnUpstreamFailureMapsToItsGatewayStatusAndChargesNothing(int upstream, int expected, string type, string code)
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        var before = await SnapshotAsync(tenantId);
        using var client = gateway.CreateTenantClient(key);

        using var response = await PostChatAsync(client, ValidBody(mock: "{\"fail_status\":" + upstream + "}"));

        await AssertOpenAiErrorAsync(response, (HttpStatusCode)expected, type, null, code, $"upstream {upstream}");
        await AssertNothingChargedAsync(tenantId, before, $"upstream {upstream}");
        await AssertNothingReservedAsync(tenantId, $"upstream {upstream}");
    }

    [Fact]
    public async Task AnUpstream503WithRetryAfterIsA503CarryingThatRetryAfterAndChargesNothing()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        var before = await SnapshotAsync(tenantId);
        using var client = gateway.CreateTenantClient(key);

        using var response = await PostChatAsync(client, ValidBody(mock: """{"fail_status":503,"retry_after":7}"""));

        await AssertOpenAiErrorAsync(response, HttpStatusCode.ServiceUnavailable, "server_error", null, "upstream_unavailable", "upstream 503");
        Assert.Equal(TimeSpan.FromSeconds(7), response.Headers.RetryAfter?.Delta); // the provider's
        await AssertNothingChargedAsync(tenantId, before, "upstream 503");
        await AssertNothingReservedAsync(tenantId, "upstream 503");
    }

    [Fact]
    public async Task AnUpstream429IsA503WithRetryAfterAndChargesNothing()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        var before = await SnapshotAsync(tenantId);
        using var client = gateway.CreateTenantClient(key);

        using var response = await PostChatAsync(client, ValidBody(mock: """{"fail_status":429}"""));

        await AssertOpenAiErrorAsync(response, HttpStatusCode.ServiceUnavailable, "server_error", null, "upstream_rate_limited", "upstream 429");
        Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta); // the gateway's own advice without the provider's
        await AssertNothingChargedAsync(tenantId, before, "upstream 429");
        await AssertNothingReservedAsync(tenantId, "upstream 429");
    }

    [Fact]
    public async Task AnUpstream400PassesThroughAsA400AndChargesNothing()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        var before = await SnapshotAsync(tenantId);
        using var client = gateway.CreateTenantClient(key);

        using var response = await PostChatAsync(client, ValidBody(mock: """{"fail_status":400}"""));

        var error = await AssertOpenAiErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", null, "upstream_rejected", "upstream 400");
        Assert.Contains("Mock failure with status 400.", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        await AssertNothingChargedAsync(tenantId, before, "upstream 400");
        await AssertNothingReservedAsync(tenantId, "upstream 400");
    }

    [Fact]
    public async Task AnUpstreamFaultFromTheQueueIsA502AndChargesNothing()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        var before = await SnapshotAsync(tenantId);
        using var client = gateway.CreateTenantClient(key);
        gateway.MockFaults.Clear();
        // One fault per attempt: a 502 is retried (three attempts by default), so each of them meets one.
        gateway.MockFaults.Enqueue(new MockProvider.MockFault { Status = 502 }, count: 3);

        using var response = await PostChatAsync(client, ValidBody());

        Assert.Equal(0, gateway.MockFaults.Count); // every attempt of this request took one queued fault
        await AssertOpenAiErrorAsync(response, HttpStatusCode.BadGateway, "server_error", null, "upstream_error", "queued upstream 502");
        await AssertNothingChargedAsync(tenantId, before, "queued upstream 502");
        await AssertNothingReservedAsync(tenantId, "queued upstream 502");
    }

    [Fact]
    public async Task AStreamWhoseUpstreamFailsBeforeTheFirstChunkIsA502JsonErrorNotAnEventStream()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        var before = await SnapshotAsync(tenantId);
        using var client = gateway.CreateTenantClient(key);

        using var response = await PostChatAsync(client, ValidBody(stream: true, mock: """{"fail_status":500}"""));

        var text = await AssertOpenAiErrorAsync(response, HttpStatusCode.BadGateway, "server_error", null, "upstream_error", "stream, upstream 500");
        Assert.DoesNotContain("data:", text.ToJsonString(), StringComparison.Ordinal); // no SSE event precedes the error
        await AssertNothingChargedAsync(tenantId, before, "stream, upstream 500");
        await AssertNothingReservedAsync(tenantId, "stream, upstream 500");
    }

    [Fact]
    public async Task AStreamWhoseUpstreamIsRateLimitedIsA503JsonErrorWithRetryAfter()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        var before = await SnapshotAsync(tenantId);
        using var client = gateway.CreateTenantClient(key);

        using var response = await PostChatAsync(client, ValidBody(stream: true, mock: """{"fail_status":429,"retry_after":3}"""));

        await AssertOpenAiErrorAsync(response, HttpStatusCode.ServiceUnavailable, "server_error", null, "upstream_rate_limited", "stream, upstream 429");
        Assert.Equal(TimeSpan.FromSeconds(3), response.Headers.RetryAfter?.Delta); // the provider's
        await AssertNothingChargedAsync(tenantId, before, "stream, upstream 429");
        await AssertNothingReservedAsync(tenantId, "stream, upstream 429");

        // The deployment cools down for the provider's 3 seconds; the next request is told the same, nothing sent.
        using var during = await PostChatAsync(client, ValidBody());
        await AssertOpenAiErrorAsync(during, HttpStatusCode.ServiceUnavailable, "server_error", null, "upstream_rate_limited", "during the cooldown");
        gateway.Clock.Advance(TimeSpan.FromSeconds(3));
        using var after = await PostChatAsync(client, ValidBody());
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task AfterAFailedUpstreamCallTheSameTenantIsServedAndChargedOnlyForTheSuccess()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = gateway.CreateTenantClient(key);
        using (var failed = await PostChatAsync(client, ValidBody(mock: """{"fail_status":500}""")))
        {
            Assert.Equal(HttpStatusCode.BadGateway, failed.StatusCode);
        }

        var mockBefore = gateway.MockStats.Requests;
        using var served = await PostChatAsync(client, ValidBody());

        var body = await served.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        var prompt = body!["usage"]!["prompt_tokens"]!.GetValue<long>();
        Assert.InRange(prompt, 1, long.MaxValue);
        var usage = await gateway.GetUsageAsync(tenantId);
        Assert.Equal((1L, prompt, 5L, ChatBodies.Gpt41CostUsd(prompt, 5)), UsageFigures.Charged(usage)); // only the served request
        Assert.Equal(mockBefore + 1, gateway.MockStats.Requests);
    }

    private static string WithField(string name, string json) =>
        "{\"model\":\"gpt-4.1\",\"messages\":" + Messages + ",\"" + name + "\":" + json + "}";

    private static string ValidBody(bool stream = false, string? mock = null) =>
        "{\"model\":\"gpt-4.1\",\"messages\":" + Messages + ",\"max_tokens\":5"
        + (stream ? ",\"stream\":true" : "")
        + (mock is null ? "" : ",\"mock\":" + mock)
        + "}";

    /// <summary>A valid body padded with whitespace to exactly <paramref name="size"/> bytes.</summary>
    private static byte[] OversizedBody(long size)
    {
        var head = Encoding.UTF8.GetBytes("{\"model\":\"gpt-4.1\",\"messages\":" + Messages + ",\"max_tokens\":5");
        var body = new byte[size];
        head.CopyTo(body, 0);
        body.AsSpan(head.Length, body.Length - head.Length - 1).Fill((byte)' ');
        body[^1] = (byte)'}';
        return body;
    }

    private static StringContent JsonBody(string json) => new(json, Encoding.UTF8, "application/json");

    private static Task<HttpResponseMessage> PostChatAsync(HttpClient client, string json) =>
        client.PostAsync("/v1/chat/completions", JsonBody(json));

    private async Task<Snapshot> SnapshotAsync(string tenantId)
    {
        var usage = await gateway.GetUsageAsync(tenantId);
        return new Snapshot(
            usage["requests"]!.GetValue<long>(),
            usage["inputTokens"]!.GetValue<long>(),
            usage["outputTokens"]!.GetValue<long>(),
            usage["costUsd"]!.GetValue<decimal>(),
            gateway.MockStats.Requests,
            gateway.MockStats.PromptTokens,
            gateway.MockStats.CompletionTokens);
    }

    private async Task AssertNothingChargedAsync(string tenantId, Snapshot before, string because)
    {
        var after = await SnapshotAsync(tenantId);
        Expect.Equal(before, after, $"{because}: nothing may be charged or served");
    }

    private async Task AssertNothingReservedAsync(string tenantId, string because)
    {
        var usage = await gateway.GetUsageAsync(tenantId);
        Expect.Equal((0, 0L, 0m), UsageFigures.Reserved(usage), $"{because}: the reservation must be released (in flight, tokens, USD)");
    }

    private sealed record Snapshot(long Requests, long InputTokens, long OutputTokens, decimal CostUsd, long MockRequests, long MockPromptTokens, long MockCompletionTokens);

    /// <summary>A body sent without Content-Length (chunked), so the gateway has to count what it reads.</summary>
    private sealed class UnknownLengthContent(byte[] bytes) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
