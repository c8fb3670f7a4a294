using System.Net;
using System.Net.Http.Json;
using Gateway.Tests.Infrastructure;
using static Gateway.Tests.Infrastructure.OpenAiErrorAssertions;

namespace Gateway.Tests.Providers.Gemini;

/// <summary>
/// A gateway of its own whose mock requires a key: a provider of kind <c>gemini</c> sends its <c>ApiKey</c> in
/// <c>x-goog-api-key</c>, and a key Gemini refuses (401 <c>UNAUTHENTICATED</c>) is the gateway's problem, a 502 that
/// charges nothing, never the client's.
/// </summary>
public sealed class GeminiProviderKeyTests(GeminiProviderKeyTests.KeyedGateway fixture) : IClassFixture<GeminiProviderKeyTests.KeyedGateway>
{
    [Fact]
    public async Task TheProvidersKeyGoesInXGoogApiKey()
    {
        var (tenantId, key) = await fixture.Gateway.CreateTenantWithKeyAsync();
        using var client = fixture.Gateway.CreateTenantClient(key);

        using var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "keyed", messages = ChatBodies.Messages(), max_tokens = 3 });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3L, UsageFigures.Charged(await fixture.Gateway.GetUsageAsync(tenantId)).Item3);
    }

    [Fact]
    public async Task AKeyGeminiRefusesIsA502UpstreamAuthFailedAndChargesNothing()
    {
        var (tenantId, key) = await fixture.Gateway.CreateTenantWithKeyAsync();
        using var client = fixture.Gateway.CreateTenantClient(key);

        using var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "wrong-key", messages = ChatBodies.Messages(), max_tokens = 3 });

        await AssertOpenAiErrorAsync(response, HttpStatusCode.BadGateway, "server_error", null, "upstream_auth_failed", "a key Gemini refuses");
        Assert.Equal((0L, 0L, 0L, 0m), UsageFigures.Charged(await fixture.Gateway.GetUsageAsync(tenantId)));
    }

    /// <summary>The gateway: model <c>keyed</c> on a gemini provider with the mock's key, <c>wrong-key</c> on one with another.</summary>
    public sealed class KeyedGateway : IAsyncLifetime
    {
        private const string MockKey = "mock-gemini-key";

        public KeyedGateway()
        {
            Gateway.MockOptions.ApiKey = MockKey;
            foreach (var (model, provider, apiKey) in new[] { ("keyed", "gem-keyed", MockKey), ("wrong-key", "gem-wrong", "not-the-key") })
            {
                Gateway.Settings[$"Providers:{provider}:Kind"] = "gemini";
                Gateway.Settings[$"Providers:{provider}:BaseUrl"] = "{mock}";
                Gateway.Settings[$"Providers:{provider}:ApiKey"] = apiKey;
                Gateway.Settings[$"Gateway:Models:{model}:Provider"] = provider;
                Gateway.Settings[$"Gateway:Models:{model}:UpstreamModel"] = "gemini-2.5-flash";
                Gateway.Settings[$"Gateway:Models:{model}:InputPricePerMillionUsd"] = "0.30";
                Gateway.Settings[$"Gateway:Models:{model}:OutputPricePerMillionUsd"] = "2.50";
                Gateway.Settings[$"Gateway:Models:{model}:MaxOutputTokens"] = "1000";
            }
        }

        public GatewayFactory Gateway { get; } = new();

        public Task InitializeAsync() => Gateway.InitializeAsync();

        public Task DisposeAsync() => ((IAsyncLifetime)Gateway).DisposeAsync();
    }
}
