using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anthropic;
using Gateway.MockProvider;
using Gateway.Tests.Infrastructure;
using BetaMessages = Anthropic.Models.Beta.Messages;
using static Gateway.Tests.AnthropicIngress.NativeMessagesTests;

namespace Gateway.Tests.AnthropicIngress;

/// <summary>
/// Anthropic's beta endpoint, <c>/v1/messages?beta=true</c>, which the SDKs' beta clients call: served as
/// <c>/v1/messages</c> is, and for a model served natively the provider is called at the endpoint the client called.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class NativeMessagesBetaTests(GatewayFactory gateway)
{
    [Fact]
    public async Task TheSdksBetaClientIsServedAndTheProviderIsCalledWhereTheSdkCalledTheGateway()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        var sent = new QueryRecorder();
        var client = new AnthropicClient(new Anthropic.Core.ClientOptions
        {
            ApiKey = key,
            BaseUrl = gateway.BaseAddress.ToString().TrimEnd('/'),
            MaxRetries = 0,
            Handlers = [sent],
        });
        var body = new Dictionary<string, JsonElement>
        {
            ["model"] = JsonSerializer.SerializeToElement(Claude),
            ["max_tokens"] = JsonSerializer.SerializeToElement(4),
            ["metadata"] = JsonSerializer.SerializeToElement(new { user_id = tenantId }),
            ["messages"] = JsonSerializer.SerializeToElement(new[] { new { role = "user", content = "Hello there" } }),
        };

        var message = await client.Beta.Messages.Create(BetaMessages::MessageCreateParams.FromRawUnchecked(
            new Dictionary<string, JsonElement> { ["anthropic-beta"] = JsonSerializer.SerializeToElement(Beta) }, new Dictionary<string, JsonElement>(), body));

        Assert.Equal(Claude, message.Model.Raw());
        Assert.Equal(4, message.Usage.OutputTokens);
        // The .NET SDK's beta client calls /v1/messages itself (the Python and TypeScript ones add ?beta=true, as the next
        // test does): the provider is called at the endpoint the client called.
        var received = Received(tenantId);
        Assert.Equal(sent.LastQuery, received.Query ?? "");
        Assert.Equal(Beta, received.AnthropicBeta);
        Assert.Equal(UpstreamModel, JsonNode.Parse(received.Text)!["model"]!.GetValue<string>());

        // count_tokens is answered by the gateway itself (never forwarded), on the beta endpoint as on the other.
        body.Remove("max_tokens");
        body.Remove("metadata");
        var count = await client.Beta.Messages.CountTokens(BetaMessages::MessageCountTokensParams.FromRawUnchecked(
            new Dictionary<string, JsonElement>(), new Dictionary<string, JsonElement>(), body));
        using var http = CreateClient(gateway, key);
        Assert.Equal(await CountAsync(http, JsonSerializer.SerializeToNode(body)!), count.InputTokens);
    }

    [Fact]
    public async Task AStreamToTheBetaEndpointIsRelayedAndTheProviderIsCalledThereToo()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = CreateClient(gateway, key);
        var body = NativeBody(tenantId, stream: true);

        var response = await client.PostAsync("/v1/messages?beta=true", Json(body));

        var events = MessageEvents.Read(await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["message_start", "message_stop"], new[] { events[0].Name, events[^1].Name });
        var received = Received(tenantId);
        Assert.Equal("?beta=true", received.Query);
        Assert.True(JsonNode.DeepEquals(body["messages"], JsonNode.Parse(received.Text)!["messages"]), received.Text);
    }

    /// <summary>The mock's record of the one request tagged with the tenant's id.</summary>
    private MockReceivedRequest Received(string tenantId) =>
        Assert.Single(gateway.MockDeployments.Default.ReceivedMessages.All, r => r.Text.Contains(tenantId, StringComparison.Ordinal));

    /// <summary>The query string of the last request the SDK sent ("" when it had none).</summary>
    private sealed class QueryRecorder : DelegatingHandler
    {
        public string? LastQuery { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            LastQuery = request.RequestUri?.Query;
            return base.SendAsync(request, cancellationToken);
        }
    }
}
