using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Catalog.Tokenization;
using Gateway.Grains.Providers;
using Gateway.MockProvider;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static Gateway.Tests.Infrastructure.OpenAiErrorAssertions;

namespace Gateway.Tests.Http;

/// <summary>
/// Every way a provider can fail, plain and streamed, seen by the client: the status and OpenAI error of the one mapping
/// (<c>UpstreamErrors</c>), or for a stream that began its content events then one error event and no <c>[DONE]</c>; the
/// reservation always given back; nothing charged when nothing was served, and exactly what was streamed when a stream
/// was cut. Faults that cannot ride in a request's <c>mock</c> directives are queued at the mock, as many times as the
/// gateway attempts the request when the failure is to reach the client.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class UpstreamFailureTests(GatewayFactory gateway, FailingProvidersGateway failing) : IClassFixture<FailingProvidersGateway>
{
    private const string Gpt41 = "gpt-4.1";
    private const string Gemini = "gemini-2.5-flash";
    private const int MaxAttempts = 3;

    /// <summary>How long a test waits for something the gateway does at once (an event relayed, a request sent).</summary>
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(15);

    /// <summary>How long a read waits across a stall the test ends by advancing the clock (see <see cref="AdvanceUntilEndedAsync"/>).</summary>
    private static readonly TimeSpan Stalled = TimeSpan.FromSeconds(60);

    // ---- No connection -------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AProviderRefusingConnectionsIsA502UpstreamUnreachableAndChargesNothing(bool stream)
    {
        var own = failing.Gateway;
        var (tenantId, key) = await own.CreateTenantWithKeyAsync();
        using var client = own.CreateTenantClient(key);

        using var response = await PostAsync(client, Body(Gpt41, stream));

        await AssertOpenAiErrorAsync(response, HttpStatusCode.BadGateway, "server_error", null, "upstream_unreachable", $"connection refused, stream {stream}");
        await AssertNothingChargedAsync(own, tenantId, $"connection refused, stream {stream}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AProviderWhoseHostDoesNotResolveIsA502UpstreamUnreachableAndChargesNothing(bool stream)
    {
        var own = failing.Gateway;
        var (tenantId, key) = await own.CreateTenantWithKeyAsync();
        using var client = own.CreateTenantClient(key);

        using var response = await PostAsync(client, Body("claude-sonnet-4.5", stream));

        await AssertOpenAiErrorAsync(response, HttpStatusCode.BadGateway, "server_error", null, "upstream_unreachable", $"unresolvable host, stream {stream}");
        await AssertNothingChargedAsync(own, tenantId, $"unresolvable host, stream {stream}");
    }

    [Fact]
    public async Task ANewBronzeTenantWhoseProviderRefusesConnectionsGetsSix502sAndNeverRunsOutOfConcurrency()
    {
        // The issue's repro: a new user on the smallest tier (5 concurrent requests) against a provider that is down.
        var own = failing.Gateway;
        var (tenantId, key) = await own.CreateTenantWithKeyAsync(new { tier = "bronze" });
        using var client = own.CreateTenantClient(key);

        for (var i = 1; i <= 6; i++)
        {
            using var response = await PostAsync(client, Body(Gpt41, stream: false));

            // Neither a 500 (an unhandled failure) nor a 429 "Too many concurrent requests" (a reservation kept).
            await AssertOpenAiErrorAsync(response, HttpStatusCode.BadGateway, "server_error", null, "upstream_unreachable", $"request {i} of 6");
        }

        await AssertNothingChargedAsync(own, tenantId, "six requests to a provider refusing connections");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AConnectionResetBeforeTheHeadersOnEveryAttemptIsA502UpstreamUnreachableAndChargesNothing(bool stream)
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = gateway.CreateTenantClient(key);
        var mockBefore = MockServed(gateway);
        QueueFault(new MockFault { Kind = MockFaultKind.ResetBeforeHeaders }, MaxAttempts);

        using var response = await PostAsync(client, Body(Gpt41, stream));

        await AssertOpenAiErrorAsync(response, HttpStatusCode.BadGateway, "server_error", null, "upstream_unreachable", $"reset before headers, stream {stream}");
        AssertFaultsTaken(gateway, "each of the three attempts meets a reset");
        Assert.Equal(mockBefore, MockServed(gateway));
        await AssertNothingChargedAsync(gateway, tenantId, $"reset before headers, stream {stream}");
    }

    // ---- Cut and stalled answers ---------------------------------------------------------------------------------

    [Fact]
    public async Task ACompletionWhoseBodyIsResetMidwayOnEveryAttemptIsA502AndChargesNothing()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = gateway.CreateTenantClient(key);
        var mockBefore = MockServed(gateway);
        QueueFault(new MockFault { Kind = MockFaultKind.ResetMidBody }, MaxAttempts);

        using var response = await PostAsync(client, Body(Gpt41, stream: false));

        await AssertOpenAiErrorAsync(response, HttpStatusCode.BadGateway, "server_error", null, "upstream_unreachable", "body reset midway");
        AssertFaultsTaken(gateway, "each of the three attempts meets a reset body");
        Assert.Equal(mockBefore, MockServed(gateway));
        await AssertNothingChargedAsync(gateway, tenantId, "body reset midway");
    }

    [Fact]
    public async Task AStreamResetMidwayEndsWithAnInterruptedErrorEventAndChargesExactlyWhatWasStreamed()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = gateway.CreateTenantClient(key);
        QueueFault(new MockFault { Kind = MockFaultKind.ResetMidBody, CutAfterChunks = 3 });

        await using var events = await OpenStreamAsync(client, Body(Gpt41, stream: true, maxTokens: 10));
        var received = await events.ReadToEndAsync(Bounded);

        AssertFaultsTaken(gateway, "a stream that began is never retried");
        var content = AssertContentThenErrorEvent(received, "upstream_stream_interrupted", "stream reset midway");
        Assert.InRange(content.Events, 1, 3);
        await AssertChargedAsync(gateway, tenantId, GatewayPromptTokens(), ChatTokenCounter.CountText(content.Text),
            "stream_interrupted", attempts: 1, usageCounted: true, "stream reset midway");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AProviderSilentBeyondTheFirstByteTimeoutOnEveryAttemptIsA504UpstreamTimeoutAndChargesNothing(bool stream)
    {
        var own = failing.Gateway;
        var (tenantId, key) = await own.CreateTenantWithKeyAsync();
        using var client = own.CreateTenantClient(key);
        var mockBefore = MockServed(own);
        own.MockFaults.Clear();
        own.MockFaults.Enqueue(new MockFault { Kind = MockFaultKind.StallBeforeHeaders }, MaxAttempts);

        var answer = PostAsync(client, Body(Gemini, stream));
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            // The attempt's first-byte timer starts before its request is sent, so once the mock holds the request,
            // advancing by exactly the timeout ends that attempt.
            await Eventually.HoldsAsync(() => Task.FromResult(own.MockFaults.Count == MaxAttempts - attempt), $"attempt {attempt} reaches the stalling provider");
            Assert.False(answer.IsCompleted, $"The request ended before attempt {attempt} timed out.");
            own.Clock.Advance(FailingProvidersGateway.GeminiTimeout);
        }

        using var response = await answer.WaitAsync(Bounded);
        await AssertOpenAiErrorAsync(response, HttpStatusCode.GatewayTimeout, "server_error", null, "upstream_timeout", $"stall before headers, stream {stream}");
        Assert.Equal(mockBefore, MockServed(own));
        await AssertNothingChargedAsync(own, tenantId, $"stall before headers, stream {stream}");
    }

    [Fact]
    public async Task ACompletionWhoseBodyStallsBeyondTheIdleTimeoutIsA504UpstreamTimeoutAndChargesNothing()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = gateway.CreateTenantClient(key);
        var mockBefore = MockServed(gateway);

        // The idle timeout (60 s) is beyond the retry budget (30 s): the stalled attempt is the only one.
        QueueFault(new MockFault { Kind = MockFaultKind.StallMidBody });
        var answer = PostAsync(client, Body(Gpt41, stream: false));
        await Eventually.HoldsAsync(() => Task.FromResult(gateway.MockFaults.Count == 0), "the request reaches the stalling provider");

        using var response = await AdvanceUntilEndedAsync(gateway.Clock, IdleTimeout(gateway, "openai"), answer, "the stalled body");

        await AssertOpenAiErrorAsync(response, HttpStatusCode.GatewayTimeout, "server_error", null, "upstream_timeout", "body stalled midway");
        Assert.Equal(mockBefore, MockServed(gateway));
        await AssertNothingChargedAsync(gateway, tenantId, "body stalled midway");
    }

    [Fact]
    public async Task AStreamStalledBeyondTheIdleTimeoutEndsWithATimeoutErrorEventAndChargesExactlyWhatWasStreamed()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = gateway.CreateTenantClient(key);
        QueueFault(new MockFault { Kind = MockFaultKind.StallMidBody, StallAfterChunks = 2 });

        await using var events = await OpenStreamAsync(client, Body(Gpt41, stream: true, maxTokens: 10));
        for (var i = 0; i < 3; i++)
        {
            Assert.NotNull(await events.NextAsync(Bounded));
        }

        var error = await AdvanceUntilEndedAsync(gateway.Clock, IdleTimeout(gateway, "openai"), events.NextAsync(Stalled), "the stalled stream");
        Assert.NotNull(error);
        Assert.Null(await events.NextAsync(Bounded));

        var content = AssertContentThenErrorEvent(events.Received, "upstream_timeout", "stream stalled midway");
        Assert.Equal(2, content.Events);
        await AssertChargedAsync(gateway, tenantId, GatewayPromptTokens(), ChatTokenCounter.CountText(content.Text),
            "stream_interrupted", attempts: 1, usageCounted: true, "stream stalled midway");
    }

    [Fact]
    public async Task EventsSentInOneBurstReachTheClientWhileTheProviderStallsAfterThem()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = gateway.CreateTenantClient(key);

        // The role chunk and two content chunks in one write, then nothing until the gateway leaves.
        QueueFault(new MockFault { Kind = MockFaultKind.Burst, BurstChunks = 3 });

        await using var events = await OpenStreamAsync(client, Body(Gpt41, stream: true, maxTokens: 10));
        for (var i = 1; i <= 3; i++)
        {
            // The clock stands still: nothing but the relay can deliver these while the provider stalls.
            Assert.True(await events.NextAsync(Bounded) is not null, $"Event {i} of the burst should reach the client during the stall.");
        }

        Assert.Equal(2, ContentOf(events.Received).Events);

        // The stall then ends by the idle timeout: the three events stay, the error follows them.
        await AdvanceUntilEndedAsync(gateway.Clock, IdleTimeout(gateway, "openai"), events.NextAsync(Stalled), "the stall after the burst");
        Assert.Null(await events.NextAsync(Bounded));
        var content = AssertContentThenErrorEvent(events.Received, "upstream_timeout", "burst then stall");
        Assert.Equal(2, content.Events);
        await AssertChargedAsync(gateway, tenantId, GatewayPromptTokens(), ChatTokenCounter.CountText(content.Text),
            "stream_interrupted", attempts: 1, usageCounted: true, "burst then stall");
    }

    [Fact]
    public async Task EventsOfABurstThatTheProviderCutsReachTheClientBeforeTheErrorEvent()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = gateway.CreateTenantClient(key);

        // The role chunk and two content chunks in one write, then the connection ends without [DONE].
        QueueFault(new MockFault { Kind = MockFaultKind.Burst, BurstChunks = 3, Stall = TimeSpan.Zero, CutAfterChunks = 2 });

        await using var events = await OpenStreamAsync(client, Body(Gpt41, stream: true, maxTokens: 10));
        var received = await events.ReadToEndAsync(Bounded);

        Assert.Equal(4, received.Count);
        var content = AssertContentThenErrorEvent(received, "upstream_stream_interrupted", "burst then cut");
        Assert.Equal(2, content.Events);
        await AssertChargedAsync(gateway, tenantId, GatewayPromptTokens(), ChatTokenCounter.CountText(content.Text),
            "stream_interrupted", attempts: 1, usageCounted: true, "burst then cut");
    }

    [Fact]
    public async Task AStreamClosedWithoutDoneEndsWithAnInterruptedErrorEventAndChargesExactlyWhatWasStreamed()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = gateway.CreateTenantClient(key);

        await using var events = await OpenStreamAsync(client, Body(Gpt41, stream: true, maxTokens: 10, mock: new JsonObject { ["cut_after_chunks"] = 3 }));
        var received = await events.ReadToEndAsync(Bounded);

        var content = AssertContentThenErrorEvent(received, "upstream_stream_interrupted", "stream closed without [DONE]");
        Assert.InRange(content.Events, 1, 3);
        await AssertChargedAsync(gateway, tenantId, GatewayPromptTokens(), ChatTokenCounter.CountText(content.Text),
            "stream_interrupted", attempts: 1, usageCounted: true, "stream closed without [DONE]");
    }

    // ---- Answers the gateway cannot use --------------------------------------------------------------------------

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ASuccessWhoseBodyIsNotJsonIsA502UpstreamBadResponseAndChargesNothing(bool stream)
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = gateway.CreateTenantClient(key);
        var mockBefore = MockServed(gateway);

        // A bad response is the provider's answer, not a transient failure: it is not retried.
        QueueFault(new MockFault { Kind = MockFaultKind.GarbageBody });

        using var response = await PostAsync(client, Body(Gpt41, stream));

        await AssertOpenAiErrorAsync(response, HttpStatusCode.BadGateway, "server_error", null, "upstream_bad_response", $"HTML body with status 200, stream {stream}");
        AssertFaultsTaken(gateway, "a bad response is not retried");
        Assert.Equal(mockBefore, MockServed(gateway));
        await AssertNothingChargedAsync(gateway, tenantId, $"HTML body with status 200, stream {stream}");
    }

    [Fact]
    public async Task ACompletionLargerThanMaxResponseBytesIsA502UpstreamBadResponseAndChargesNothing()
    {
        var own = failing.Gateway;
        var (tenantId, key) = await own.CreateTenantWithKeyAsync();
        using var client = own.CreateTenantClient(key);
        own.MockFaults.Clear();
        own.MockFaults.Enqueue(new MockFault { Kind = MockFaultKind.OversizeBody, BodyBytes = (int)(2 * FailingProvidersGateway.MaxResponseBytes) });

        using var response = await PostAsync(client, Body(Gemini, stream: false));

        await AssertOpenAiErrorAsync(response, HttpStatusCode.BadGateway, "server_error", null, "upstream_bad_response", "body over MaxResponseBytes");
        AssertFaultsTaken(own, "a bad response is not retried");
        await AssertNothingChargedAsync(own, tenantId, "body over MaxResponseBytes");
    }

    [Fact]
    public async Task AStreamEventThatIsNotJsonEndsTheStreamWithABadResponseErrorEventAndChargesWhatWasStreamed()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = gateway.CreateTenantClient(key);
        QueueFault(new MockFault { Kind = MockFaultKind.GarbageEvent, GarbageAfterChunks = 2 });

        await using var events = await OpenStreamAsync(client, Body(Gpt41, stream: true, maxTokens: 10));
        var received = await events.ReadToEndAsync(Bounded);

        var content = AssertContentThenErrorEvent(received, "upstream_bad_response", "event that is not JSON");
        Assert.Equal(2, content.Events);
        await AssertChargedAsync(gateway, tenantId, GatewayPromptTokens(), ChatTokenCounter.CountText(content.Text),
            "stream_interrupted", attempts: 1, usageCounted: true, "event that is not JSON");
    }

    // ---- Error statuses ------------------------------------------------------------------------------------------

    private static readonly (int Status, MockErrorBody Body, int? RetryAfter, int Expected, string Type, string Code)[] ProviderErrors =
    [
        // provider status, its body, its Retry-After (s), gateway status, error type, error code
        (500, MockErrorBody.Json, null, 502, "server_error", "upstream_error"),
        (500, MockErrorBody.Html, null, 502, "server_error", "upstream_error"),
        (500, MockErrorBody.Empty, null, 502, "server_error", "upstream_error"),
        (502, MockErrorBody.Html, null, 502, "server_error", "upstream_error"),
        (503, MockErrorBody.Json, 7, 503, "server_error", "upstream_unavailable"),
        (503, MockErrorBody.Html, 7, 503, "server_error", "upstream_unavailable"),
        (503, MockErrorBody.Empty, 7, 503, "server_error", "upstream_unavailable"),
        (529, MockErrorBody.Json, null, 503, "server_error", "upstream_unavailable"),
        (504, MockErrorBody.Html, null, 504, "server_error", "upstream_timeout"),
        (408, MockErrorBody.Empty, null, 504, "server_error", "upstream_timeout"),
        (429, MockErrorBody.Json, 3, 503, "server_error", "upstream_rate_limited"),
        (429, MockErrorBody.Html, 3, 503, "server_error", "upstream_rate_limited"),
        (429, MockErrorBody.Empty, null, 503, "server_error", "upstream_rate_limited"),
        (400, MockErrorBody.Json, null, 400, "invalid_request_error", "upstream_rejected"),
        (400, MockErrorBody.Html, null, 400, "invalid_request_error", "upstream_rejected"),
        (400, MockErrorBody.Empty, null, 400, "invalid_request_error", "upstream_rejected"),
        (404, MockErrorBody.Html, null, 400, "invalid_request_error", "upstream_rejected"),
        (409, MockErrorBody.Json, null, 409, "invalid_request_error", "upstream_rejected"),
        (413, MockErrorBody.Html, null, 413, "invalid_request_error", "upstream_rejected"),
        (422, MockErrorBody.Empty, null, 422, "invalid_request_error", "upstream_rejected"),
        (401, MockErrorBody.Json, null, 502, "server_error", "upstream_auth_failed"),
        (403, MockErrorBody.Html, null, 502, "server_error", "upstream_auth_failed"),
    ];

    public static TheoryData<int, MockErrorBody, int?, int, string, string, bool> ErrorStatuses()
    {
        var data = new TheoryData<int, MockErrorBody, int?, int, string, string, bool>();
        foreach (var (status, body, retryAfter, expected, type, code) in ProviderErrors)
        {
            data.Add(status, body, retryAfter, expected, type, code, false);
            data.Add(status, body, retryAfter, expected, type, code, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ErrorStatuses))]
    public async Task AProviderErrorStatusWithAnyBodyMapsToItsGatewayErrorAndChargesNothing(
        int status, MockErrorBody body, int? retryAfter, int expected, string type, string code, bool stream)
    {
        var because = $"provider {status} with a {body} body, stream {stream}";
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = gateway.CreateTenantClient(key);
        var mockBefore = MockServed(gateway);

        // A 429 is not retried on the model's one deployment, which cools down instead; the other transient statuses
        // are retried until the attempts are spent; a refusal of the request is final.
        var transient = status is 408 or 500 or 502 or 503 or 504 or 529;
        QueueFault(new MockFault { Status = status, ErrorBody = body, RetryAfterSeconds = retryAfter }, transient ? MaxAttempts : 1);
        try
        {
            using var response = await PostAsync(client, Body(Gpt41, stream));

            var error = await AssertOpenAiErrorAsync(response, (HttpStatusCode)expected, type, null, code, because);
            AssertFaultsTaken(gateway, because);
            var advised = status is 429 or 503 or 529 ? TimeSpan.FromSeconds(retryAfter ?? 1) : (TimeSpan?)null;
            Expect.Equal(advised, response.Headers.RetryAfter?.Delta, $"{because}: Retry-After");
            if (code == "upstream_rejected")
            {
                var passedOn = body == MockErrorBody.Json ? $"Mock failure with status {status}." : $"status {status}";
                Assert.Contains(passedOn, error["message"]!.GetValue<string>(), StringComparison.Ordinal);
            }

            Assert.Equal(mockBefore, MockServed(gateway));
            await AssertNothingChargedAsync(gateway, tenantId, because);
        }
        finally
        {
            // A 429 cools the shared deployment down on the gateway's clock: let that pass before anything else runs.
            if (status == 429)
            {
                gateway.Clock.Advance(TimeSpan.FromSeconds(retryAfter ?? 1) + TimeSpan.FromSeconds(1));
            }
        }
    }

    [Fact]
    public async Task AProviderRetryAfterInMillisecondsIsPassedOnRoundedUpToWholeSeconds()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = gateway.CreateTenantClient(key);
        QueueFault(new MockFault { Status = 503, RetryAfterSeconds = 30, RetryAfterMilliseconds = 2_500 }, MaxAttempts);

        using var response = await PostAsync(client, Body(Gpt41, stream: false));

        await AssertOpenAiErrorAsync(response, HttpStatusCode.ServiceUnavailable, "server_error", null, "upstream_unavailable", "503 with retry-after-ms");
        Assert.Equal(TimeSpan.FromSeconds(3), response.Headers.RetryAfter?.Delta); // retry-after-ms 2500 wins over Retry-After, rounded up
        AssertFaultsTaken(gateway, "503 with retry-after-ms on every attempt");
        await AssertNothingChargedAsync(gateway, tenantId, "503 with retry-after-ms");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AProvider400PassesItsMessageThroughAsA400AndChargesNothing(bool stream)
    {
        const string message = "This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens.";
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = gateway.CreateTenantClient(key);
        var mockBefore = MockServed(gateway);
        QueueFault(new MockFault { Status = 400, Message = message });

        using var response = await PostAsync(client, Body(Gpt41, stream));

        var error = await AssertOpenAiErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", null, "upstream_rejected", $"provider 400, stream {stream}");
        Assert.Equal($"The provider rejected the request: {message}", error["message"]!.GetValue<string>());
        AssertFaultsTaken(gateway, "a refused request is not retried");
        Assert.Equal(mockBefore, MockServed(gateway));
        await AssertNothingChargedAsync(gateway, tenantId, $"provider 400, stream {stream}");
    }

    // ---- Served after all ----------------------------------------------------------------------------------------

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnAnswerWithoutUsageIsServedAndChargedTheGatewaysOwnCount(bool stream)
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = gateway.CreateTenantClient(key);
        QueueFault(new MockFault { Kind = MockFaultKind.NoUsage });

        string text;
        if (stream)
        {
            await using var events = await OpenStreamAsync(client, Body(Gpt41, stream: true, maxTokens: 7));
            var received = await events.ReadToEndAsync(Bounded);
            Assert.Equal("[DONE]", received[^1]);
            Assert.DoesNotContain(received, e => e.Contains("\"usage\":{", StringComparison.Ordinal));
            var content = ContentOf(received.Take(received.Count - 1));
            Assert.Equal(7, content.Events);
            text = content.Text;
        }
        else
        {
            using var response = await PostAsync(client, Body(Gpt41, stream: false, maxTokens: 7));
            Expect.Equal(HttpStatusCode.OK, response.StatusCode, await response.Content.ReadAsStringAsync());
            var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.False(body.ContainsKey("usage"), "The provider reported no usage.");
            text = body["choices"]![0]!["message"]!["content"]!.GetValue<string>();
        }

        AssertFaultsTaken(gateway, "no_usage");
        Assert.False(string.IsNullOrEmpty(text), "The answer should have text to count.");
        await AssertChargedAsync(gateway, tenantId, GatewayPromptTokens(), ChatTokenCounter.CountText(text),
            "completed", attempts: 1, usageCounted: true, $"no usage, stream {stream}");
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    [InlineData(529)]
    [InlineData(408)]
    public async Task ASingleTransientProviderErrorIsRetriedServedAndChargedOnce(int status)
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = gateway.CreateTenantClient(key);
        var mockBefore = MockServed(gateway);
        QueueFault(new MockFault { Status = status });

        using var response = await PostAsync(client, Body(Gpt41, stream: false));

        await AssertServedOnTheSecondAttemptAsync(gateway, tenantId, response, mockBefore, Gpt41CostUsd, $"one provider {status}");
    }

    [Fact]
    public async Task ASingleFirstByteTimeoutWithinTheRetryBudgetIsRetriedServedAndChargedOnce()
    {
        var own = failing.Gateway;
        var (tenantId, key) = await own.CreateTenantWithKeyAsync();
        using var client = own.CreateTenantClient(key);
        var mockBefore = MockServed(own);
        own.MockFaults.Clear();
        own.MockFaults.Enqueue(new MockFault { Kind = MockFaultKind.StallBeforeHeaders });

        var answer = PostAsync(client, Body(Gemini, stream: false));
        await Eventually.HoldsAsync(() => Task.FromResult(own.MockFaults.Count == 0), "the first attempt reaches the stalling provider");
        own.Clock.Advance(FailingProvidersGateway.GeminiTimeout);
        using var response = await answer.WaitAsync(Bounded);

        await AssertServedOnTheSecondAttemptAsync(own, tenantId, response, mockBefore, GeminiCostUsd, "one first-byte timeout");
    }

    // ---- Helpers -------------------------------------------------------------------------------------------------

    private static readonly object[] Messages = ChatBodies.Messages();

    /// <summary>Prompt tokens as the gateway counts them (what a request is charged when the provider reports none).</summary>
    private static long GatewayPromptTokens() => ChatTokenCounter.CountMessages(JsonSerializer.SerializeToElement(Messages));

    private static decimal Gpt41CostUsd(long input, long output) => ChatBodies.Gpt41CostUsd(input, output);

    // gemini-2.5-flash: $0.30 in, $2.50 out per million tokens.
    private static decimal GeminiCostUsd(long input, long output) => (input * 0.30m + output * 2.50m) / 1_000_000m;

    private static string Body(string model, bool stream, int maxTokens = 5, JsonObject? mock = null)
    {
        var body = new JsonObject
        {
            ["model"] = model,
            ["messages"] = JsonSerializer.SerializeToNode(Messages),
            ["max_tokens"] = maxTokens,
        };
        if (stream)
        {
            body["stream"] = true;
        }

        if (mock is not null)
        {
            body["mock"] = mock;
        }

        return body.ToJsonString();
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string json) =>
        client.PostAsync("/v1/chat/completions", new StringContent(json, Encoding.UTF8, "application/json"));

    private static async Task<EventReader> OpenStreamAsync(HttpClient client, string json)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(Bounded);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The stream's headers did not arrive within {Bounded}.");
        }

        if (response.StatusCode != HttpStatusCode.OK || response.Content.Headers.ContentType?.MediaType != "text/event-stream")
        {
            using (response)
            {
                Assert.Fail($"Expected an event stream, got {(int)response.StatusCode} {response.Content.Headers.ContentType}: {await response.Content.ReadAsStringAsync()}");
            }
        }

        return new EventReader(response);
    }

    /// <summary>Queues <paramref name="fault"/> at the shared gateway's mock for its next <paramref name="count"/> requests, and nothing else.</summary>
    private void QueueFault(MockFault fault, int count = 1)
    {
        gateway.MockFaults.Clear();
        gateway.MockFaults.Enqueue(fault, count);
    }

    /// <summary>Every queued fault was taken: the gateway made exactly as many attempts as faults were queued.</summary>
    private static void AssertFaultsTaken(GatewayFactory at, string because)
    {
        var left = at.MockFaults.Count;
        at.MockFaults.Clear();
        Expect.Equal(0, left, $"{because}: queued faults left untaken mean the gateway made fewer attempts than expected");
    }

    private static long MockServed(GatewayFactory at) => at.MockStats.Requests;

    private static TimeSpan IdleTimeout(GatewayFactory at, string provider)
    {
        var providers = at.Services.GetRequiredService<IOptionsMonitor<ProviderCatalogOptions>>().CurrentValue;
        Assert.True(providers.TryGet(provider, out var options), $"Provider {provider} is not configured.");
        return options.IdleTimeout;
    }

    /// <summary>
    /// Advances <paramref name="clock"/> by <paramref name="timeout"/> until <paramref name="ended"/> completes. The gateway
    /// restarts a stalled exchange's idle timer at its last read before the stall, which a test cannot see from outside:
    /// an advance that came just before that read leaves the timer due one timeout later, and the next advance fires it.
    /// Each step is a whole timeout (never less, so nothing ends early) and the wait for its effect is bounded.
    /// </summary>
    private static async Task<T> AdvanceUntilEndedAsync<T>(FakeTimeProvider clock, TimeSpan timeout, Task<T> ended, string what)
    {
        const int steps = 3;
        Assert.False(ended.IsCompleted, $"{what} ended before the clock moved.");
        for (var step = 1; step <= steps; step++)
        {
            clock.Advance(timeout);
            try
            {
                return await ended.WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (TimeoutException) when (!ended.IsCompleted)
            {
                // The timer was restarted after this advance; the next one passes it.
            }
        }

        Assert.Fail($"{what} did not end after the clock moved {steps} times by the idle timeout of {timeout}.");
        return default!;
    }

    private static async Task AssertNothingChargedAsync(GatewayFactory at, string tenantId, string because)
    {
        var usage = await at.GetUsageAsync(tenantId);
        Expect.Equal((0L, 0L, 0L, 0m), UsageFigures.Charged(usage), $"{because}: nothing may be charged (requests, input, output, USD)");
        AssertNothingReserved(usage, because);
        Expect.Equal("[]", (await LedgerAsync(at, tenantId)).ToJsonString(), $"{because}: the ledger must have no row");
    }

    private static void AssertNothingReserved(JsonObject usage, string because) =>
        Expect.Equal((0, 0L, 0m), UsageFigures.Reserved(usage), $"{because}: the reservation must be released (in flight, tokens, USD)");

    /// <summary>Charged exactly once, <paramref name="input"/> and <paramref name="output"/> tokens at gpt-4.1's prices, with one ledger row saying so.</summary>
    private static async Task AssertChargedAsync(
        GatewayFactory at, string tenantId, long input, long output, string outcome, int attempts, bool usageCounted, string because)
    {
        var usage = await at.GetUsageAsync(tenantId);
        var cost = Gpt41CostUsd(input, output);
        Expect.Equal((1L, input, output, cost), UsageFigures.Charged(usage), $"{because}: charged once (requests, input, output, USD)");
        AssertNothingReserved(usage, because);

        var row = Assert.Single(await LedgerAsync(at, tenantId))!.AsObject();
        Expect.Equal(
            (input, output, cost, outcome, attempts, usageCounted),
            (row["inputTokens"]!.GetValue<long>(), row["outputTokens"]!.GetValue<long>(), row["costUsd"]!.GetValue<decimal>(),
                row["outcome"]!.GetValue<string>(), row["attempts"]!.GetValue<int>(), row["usageCounted"]!.GetValue<bool>()),
            $"{because}: the ledger row (input, output, USD, outcome, attempts, usageCounted): {row.ToJsonString()}");
    }

    /// <summary>A 200 with the provider's usage, charged once from that usage, one ledger row of two attempts, one answer served by the mock.</summary>
    private static async Task AssertServedOnTheSecondAttemptAsync(
        GatewayFactory at, string tenantId, HttpResponseMessage response, long mockBefore, Func<long, long, decimal> price, string because)
    {
        var text = await response.Content.ReadAsStringAsync();
        Expect.Equal(HttpStatusCode.OK, response.StatusCode, $"{because}: the retry should be served: {text}");
        AssertFaultsTaken(at, because);
        var reported = JsonNode.Parse(text)!["usage"]!;
        var input = reported["prompt_tokens"]!.GetValue<long>();
        var output = reported["completion_tokens"]!.GetValue<long>();
        Assert.Equal(5, output);
        Expect.Equal(mockBefore + 1, at.MockStats.Requests, $"{because}: the mock served exactly one answer");

        var usage = await at.GetUsageAsync(tenantId);
        Expect.Equal((1L, input, output, price(input, output)), UsageFigures.Charged(usage),
            $"{because}: charged the served answer once (requests, input, output, USD)");
        AssertNothingReserved(usage, because);
        var row = Assert.Single(await LedgerAsync(at, tenantId))!.AsObject();
        Expect.Equal(
            (2, "completed", false),
            (row["attempts"]!.GetValue<int>(), row["outcome"]!.GetValue<string>(), row["usageCounted"]!.GetValue<bool>()),
            $"{because}: the ledger row (attempts, outcome, usageCounted): {row.ToJsonString()}");
    }

    private static async Task<JsonArray> LedgerAsync(GatewayFactory at, string tenantId)
    {
        using var admin = at.CreateAdminClient();
        var page = await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{tenantId}/ledger?limit=100");
        return page!["data"]!.AsArray();
    }

    /// <summary>
    /// Asserts a stream that began and then failed: chunks (the role chunk, content), then one error event in OpenAI's shape
    /// with <paramref name="code"/>, and no <c>[DONE]</c>. Returns the content that reached the client.
    /// </summary>
    private static (int Events, string Text) AssertContentThenErrorEvent(IReadOnlyList<string> events, string code, string because)
    {
        Assert.True(events.Count >= 2, $"{because}: expected chunks then an error event, got {events.Count} event(s): {string.Join(" | ", events)}");
        Assert.DoesNotContain("[DONE]", events);
        var chunks = events.Take(events.Count - 1).ToList();
        Assert.All(chunks, chunk => Assert.True(JsonNode.Parse(chunk) is JsonObject o && o["choices"] is JsonArray && !o.ContainsKey("error"),
            $"{because}: every event before the last should be a chunk, got {chunk}"));
        AssertErrorEvent(events[^1], code, because);
        return ContentOf(chunks);
    }

    private static void AssertErrorEvent(string data, string code, string because)
    {
        var root = JsonNode.Parse(data) as JsonObject;
        Assert.True(root is { Count: 1 } && root["error"] is JsonObject, $"{because}: the last event should be {{\"error\":{{...}}}}, got {data}");
        var error = root!["error"]!.AsObject();
        Expect.Equal(["code", "message", "param", "type"], error.Select(p => p.Key).Order(StringComparer.Ordinal).ToArray(), $"{because}: the error's fields: {data}");
        Assert.True(error["message"]?.GetValue<string>() is { Length: > 0 }, $"{because}: the error needs a message, got {data}");
        Expect.Equal(
            ("server_error", (string?)null, code),
            (error["type"]?.GetValue<string>(), error["param"]?.ToJsonString(), error["code"]?.GetValue<string>()),
            $"{because}: the error event's type, param and code: {data}");
    }

    /// <summary>The content events among <paramref name="chunks"/> and their text, as the client received them.</summary>
    private static (int Events, string Text) ContentOf(IEnumerable<string> chunks)
    {
        var count = 0;
        var text = new StringBuilder();
        foreach (var chunk in chunks)
        {
            if (JsonNode.Parse(chunk) is not JsonObject o || o["choices"] is not JsonArray choices)
            {
                continue;
            }

            var any = false;
            foreach (var choice in choices)
            {
                if (choice?["delta"]?["content"] is JsonValue value && value.TryGetValue<string>(out var piece) && piece.Length > 0)
                {
                    text.Append(piece);
                    any = true;
                }
            }

            count += any ? 1 : 0;
        }

        return (count, text.ToString());
    }

    /// <summary>Reads a gateway's SSE response event by event, each within a bounded wait.</summary>
    private sealed class EventReader(HttpResponseMessage response) : IAsyncDisposable
    {
        private readonly List<string> _received = [];
        private StreamReader? _reader;

        /// <summary>The data of every event read so far.</summary>
        public IReadOnlyList<string> Received => _received;

        /// <summary>The next event's data, or null when the response ended; fails when none comes within <paramref name="within"/>.</summary>
        public async Task<string?> NextAsync(TimeSpan within)
        {
            _reader ??= new StreamReader(await response.Content.ReadAsStreamAsync(), Encoding.UTF8);
            using var deadline = new CancellationTokenSource(within);
            string? data = null;
            while (true)
            {
                string? line;
                try
                {
                    line = await _reader.ReadLineAsync(deadline.Token);
                }
                catch (OperationCanceledException) when (deadline.IsCancellationRequested)
                {
                    throw new TimeoutException($"No complete event within {within}; received so far: {string.Join(" | ", _received)}");
                }

                if (line is null)
                {
                    Assert.True(data is null, $"The stream ended inside an event: {data}");
                    return null;
                }

                if (line.Length == 0)
                {
                    if (data is not null)
                    {
                        _received.Add(data);
                        return data;
                    }

                    continue;
                }

                Assert.True(line.StartsWith("data: ", StringComparison.Ordinal), $"Not an SSE data line: {line}");
                data = data is null ? line[6..] : data + "\n" + line[6..];
            }
        }

        /// <summary>Every event up to the end of the response, each within <paramref name="within"/>.</summary>
        public async Task<IReadOnlyList<string>> ReadToEndAsync(TimeSpan within)
        {
            while (await NextAsync(within) is not null)
            {
            }

            return _received;
        }

        public ValueTask DisposeAsync()
        {
            _reader?.Dispose();
            response.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
