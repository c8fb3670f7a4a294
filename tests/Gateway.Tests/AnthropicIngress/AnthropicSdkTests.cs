using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Anthropic;
using Anthropic.Exceptions;
using Anthropic.Helpers;
using Anthropic.Models.Messages;
using Gateway.MockProvider;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.AnthropicIngress;

/// <summary>The official Anthropic .NET SDK, pointed at the gateway's Messages API, works as it does against Anthropic.</summary>
[Collection(GatewayCollection.Name)]
public sealed class AnthropicSdkTests(GatewayFactory gateway)
{
    /// <summary>Translated to an OpenAI upstream (<c>gpt-4.1</c>) and to a Gemini one (<c>gemini-2.5-flash</c>).</summary>
    [Theory]
    [InlineData("gpt-4.1")]
    [InlineData("gemini-2.5-flash")]
    public async Task AMessageReturnsTheTextAndIsChargedAsTheEquivalentChatCompletion(string model)
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        var (chatTenant, chatKey) = await gateway.CreateTenantWithKeyAsync();

        var message = await CreateClient(key).Messages.Create(new MessageCreateParams
        {
            Model = model,
            MaxTokens = 5,
            System = "You are terse.",
            Messages = [new UserMessageParam("Say hello.")],
        });

        Assert.StartsWith("msg_", message.ID);
        Assert.Equal(model, message.Model.Raw());
        Assert.True(Assert.Single(message.Content).TryPickText(out var text), "The answer is one text block.");
        Assert.Equal(MockUsage.CompletionText(5), text.Text);
        Assert.Equal("end_turn", message.StopReason!.Raw());
        Assert.Equal(5, message.Usage.OutputTokens);

        using var chat = gateway.CreateTenantClient(chatKey);
        var completion = await chat.PostAsJsonAsync("/v1/chat/completions", new
        {
            model, max_tokens = 5,
            messages = new object[] { new { role = "system", content = "You are terse." }, new { role = "user", content = "Say hello." } },
        });
        Assert.Equal(HttpStatusCode.OK, completion.StatusCode);
        var chatUsage = await gateway.GetUsageAsync(chatTenant);
        var usage = await gateway.GetUsageAsync(tenantId);
        Assert.Equal(UsageFigures.Charged(chatUsage), UsageFigures.Charged(usage));
        Assert.Equal(message.Usage.InputTokens, usage["inputTokens"]!.GetValue<long>());
        Assert.Equal((0, 0L, 0m), UsageFigures.Reserved(usage));
    }

    [Theory]
    [InlineData("gpt-4.1")]
    [InlineData("gemini-2.5-flash")]
    public async Task AStreamPassesTheSdksEventOrderChecksAndIsChargedExactlyItsUsage(string model)
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        var (chatTenant, chatKey) = await gateway.CreateTenantWithKeyAsync();
        var parameters = new MessageCreateParams
        {
            Model = model,
            MaxTokens = 7,
            Messages = [new UserMessageParam("Count to seven.")],
        };

        var aggregator = new MessageContentAggregator();
        var pieces = new List<string>();
        await foreach (var streamed in CreateClient(key).Messages.CreateStreaming(parameters).CollectAsync(aggregator))
        {
            if (streamed.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var piece))
            {
                pieces.Add(piece.Text);
            }
        }

        var message = aggregator.Message();
        Assert.Equal(MockUsage.CompletionPieces(7), pieces);
        Assert.True(Assert.Single(message.Content).TryPickText(out var text), "The stream makes one text block.");
        Assert.Equal(MockUsage.CompletionText(7), text.Text);
        Assert.Equal("end_turn", message.StopReason!.Raw());
        Assert.Equal(7, message.Usage.OutputTokens);

        using var chat = gateway.CreateTenantClient(chatKey);
        var completion = await chat.PostAsJsonAsync("/v1/chat/completions", new
        {
            model, max_tokens = 7, stream = true, messages = new object[] { new { role = "user", content = "Count to seven." } },
        });
        await completion.Content.ReadAsStringAsync();
        var usage = await gateway.GetUsageAsync(tenantId);
        Assert.Equal(UsageFigures.Charged(await gateway.GetUsageAsync(chatTenant)), UsageFigures.Charged(usage));
        Assert.Equal(message.Usage.InputTokens, usage["inputTokens"]!.GetValue<long>());
        Assert.Equal((0, 0L, 0m), UsageFigures.Reserved(usage));
    }

    [Fact]
    public async Task CountingTokensAnswersThePromptTokensAChatCompletionIsChargedAndChargesNothing()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        var mockBefore = gateway.MockStats.Requests;

        var count = await CreateClient(key).Messages.CountTokens(new MessageCountTokensParams
        {
            Model = "gpt-4.1",
            Messages = [new UserMessageParam("Hello there")],
        });

        Assert.Equal(ChatBodies.PromptTokens(), count.InputTokens);
        var usage = await gateway.GetUsageAsync(tenantId);
        Assert.Equal((0L, 0L, 0L, 0m), UsageFigures.Charged(usage));
        Assert.Equal(mockBefore, gateway.MockStats.Requests);
    }

    [Fact]
    public async Task ABadKeyIsTheSdksUnauthorizedError()
    {
        var error = await Assert.ThrowsAsync<AnthropicUnauthorizedException>(() => CreateClient("sk-not-a-real-key-0123456789").Messages.Create(Hello()));

        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.Equal("authentication_error", ErrorType(error));
    }

    [Fact]
    public async Task AnUnknownModelIsTheSdksNotFoundErrorAndChargesNothing()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();

        var error = await Assert.ThrowsAsync<AnthropicNotFoundException>(() => CreateClient(key).Messages.Create(Hello("no-such-model")));

        Assert.Equal("not_found_error", ErrorType(error));
        Assert.Equal((0L, 0L, 0L, 0m), UsageFigures.Charged(await gateway.GetUsageAsync(tenantId)));
    }

    [Fact]
    public async Task ARateLimitIsTheSdksRateLimitErrorWithRetryAfter()
    {
        var (_, key) = await gateway.CreateTenantWithKeyAsync(new { tier = "gold", limits = new { requestsPerMinute = 1 } });
        var client = CreateClient(key);
        await client.Messages.Create(Hello());

        var raw = await client.WithRawResponse.Messages.Create(Hello()).ContinueWith(t => t.Exception?.InnerException);
        var error = Assert.IsType<AnthropicRateLimitException>(raw);

        Assert.Equal("rate_limit_error", ErrorType(error));
        using var http = CreateHttpClient(key);
        var response = await http.PostAsJsonAsync("/v1/messages", HelloBody());
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.True(response.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 }, "A rate limit says when to retry.");
    }

    /// <summary>A token quota, or a USD budget, too small for the request: retrying cannot help, whatever the SDK's rules.</summary>
    [Theory]
    [InlineData("quota")]
    [InlineData("budget")]
    public async Task ASpentQuotaOrBudgetTellsTheSdkNotToRetryAndItAsksOnce(string spent)
    {
        var (_, key) = await gateway.CreateTenantWithKeyAsync(spent == "quota"
            ? new { tier = "gold", monthlyTokenQuota = 1L, monthlyBudgetUsd = (decimal?)null }
            : new { tier = "gold", monthlyTokenQuota = 1_000_000L, monthlyBudgetUsd = (decimal?)0.000001m });
        var counter = new CountingHandler();
        var client = CreateClient(key, maxRetries: 2, counter);

        var error = await Assert.ThrowsAsync<AnthropicRateLimitException>(() => client.Messages.Create(Hello()));

        Assert.Equal("rate_limit_error", ErrorType(error));
        Assert.Equal(1, counter.Requests);
        using var http = CreateHttpClient(key);
        var response = await http.PostAsJsonAsync("/v1/messages", HelloBody());
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("false", Assert.Single(response.Headers.GetValues("x-should-retry")));
    }

    private AnthropicClient CreateClient(string key, int maxRetries = 0, DelegatingHandler? handler = null) => new(new Anthropic.Core.ClientOptions
    {
        ApiKey = key,
        BaseUrl = gateway.BaseAddress.ToString().TrimEnd('/'),
        MaxRetries = maxRetries,
        Handlers = handler is null ? [] : [handler],
    });

    private HttpClient CreateHttpClient(string key)
    {
        var client = gateway.CreateClient();
        client.DefaultRequestHeaders.Add("x-api-key", key);
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        return client;
    }

    private static MessageCreateParams Hello(string model = "gpt-4.1") => new()
    {
        Model = model,
        MaxTokens = 3,
        Messages = [new UserMessageParam("Hello there")],
    };

    private static object HelloBody() => new { model = "gpt-4.1", max_tokens = 3, messages = ChatBodies.Messages() };

    private static string ErrorType(AnthropicApiException error) => JsonNode.Parse(error.ResponseBody)!["error"]!["type"]!.GetValue<string>();

    private sealed class CountingHandler : DelegatingHandler
    {
        private int _requests;

        public int Requests => Volatile.Read(ref _requests);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _requests);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
