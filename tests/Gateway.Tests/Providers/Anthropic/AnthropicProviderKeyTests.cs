using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.MockProvider;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Providers.Anthropic;

/// <summary>
/// A gateway of its own whose mock requires a key: a provider of kind <c>anthropic</c> sends its <c>ApiKey</c> in
/// <c>x-api-key</c> and its configured <c>anthropic-version</c>, and translates for that version (the newer one refuses
/// <c>temperature</c>, <c>top_p</c> and <c>top_k</c>, as the mock does); a key Anthropic refuses is the gateway's problem,
/// a 502 that charges nothing, never the client's.
/// </summary>
public sealed class AnthropicProviderKeyTests(AnthropicProviderKeyTests.KeyedGateway fixture) : IClassFixture<AnthropicProviderKeyTests.KeyedGateway>
{
    [Fact]
    public async Task TheKeyGoesInXApiKeyWithTheNewerVersionAndNoSamplingParameterItRefuses()
    {
        var (tenantId, key) = await fixture.Gateway.CreateTenantWithKeyAsync();
        using var client = fixture.Gateway.CreateTenantClient(key);

        // On 2026-10-21 the mock answers 400 to a request with temperature or top_p: served means they were left out.
        using var response = await client.PostAsJsonAsync("/v1/chat/completions",
            new { model = "keyed-newer", messages = ChatBodies.Messages(), max_tokens = 3, temperature = 0.5, top_p = 0.9, user = tenantId });

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var received = Received(tenantId);
        Assert.Equal(KeyedProviderGateway.MockKey, received.XApiKey);
        Assert.Equal("2026-10-21", received.AnthropicVersion);
        var body = JsonNode.Parse(received.Text)!.AsObject();
        Assert.DoesNotContain(body, p => p.Key is "temperature" or "top_p" or "top_k");
        Assert.Equal(3L, UsageFigures.Charged(await fixture.Gateway.GetUsageAsync(tenantId)).Item3);
    }

    [Fact]
    public async Task OnTheOlderVersionTheTemperatureGoesUpstream()
    {
        var (tenantId, key) = await fixture.Gateway.CreateTenantWithKeyAsync();
        using var client = fixture.Gateway.CreateTenantClient(key);

        using var response = await client.PostAsJsonAsync("/v1/chat/completions",
            new { model = "keyed-older", messages = ChatBodies.Messages(), max_tokens = 3, temperature = 0.5, user = tenantId });

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var received = Received(tenantId);
        Assert.Equal(KeyedProviderGateway.MockKey, received.XApiKey);
        Assert.Equal("2023-06-01", received.AnthropicVersion);
        Assert.Equal(0.5, JsonNode.Parse(received.Text)!["temperature"]!.GetValue<double>());
    }

    [Fact]
    public Task AKeyAnthropicRefusesIsA502UpstreamAuthFailedAndChargesNothing() =>
        fixture.AssertARefusedKeyIsA502ThatChargesNothingAsync("wrong-key", "a key Anthropic refuses");

    /// <summary>The one request of this tenant the mock received (the tenant's id travels as <c>metadata.user_id</c>).</summary>
    private MockReceivedRequest Received(string tenantId) =>
        Assert.Single(fixture.Gateway.MockDeployments.Default.ReceivedMessages.All, r => r.Text.Contains(tenantId, StringComparison.Ordinal));

    /// <summary>
    /// The gateway: <c>keyed-newer</c> on an anthropic provider with the mock's key and version 2026-10-21,
    /// <c>keyed-older</c> on one with the mock's key and the default version, <c>wrong-key</c> on one with another key.
    /// </summary>
    public sealed class KeyedGateway : KeyedProviderGateway
    {
        public KeyedGateway()
        {
            AddModel("keyed-newer", "claude-newer", "anthropic", MockKey, "claude-sonnet-4-6", "3", "15", new Dictionary<string, string> { ["AnthropicVersion"] = "2026-10-21" });
            AddModel("keyed-older", "claude-older", "anthropic", MockKey, "claude-sonnet-4-6", "3", "15");
            AddModel("wrong-key", "claude-wrong", "anthropic", "not-the-key", "claude-sonnet-4-6", "3", "15");
        }
    }
}
