using System.Net;
using System.Net.Http.Json;
using Gateway.Tests.Infrastructure;

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
    public Task AKeyGeminiRefusesIsA502UpstreamAuthFailedAndChargesNothing() =>
        fixture.AssertARefusedKeyIsA502ThatChargesNothingAsync("wrong-key", "a key Gemini refuses");

    /// <summary>The gateway: model <c>keyed</c> on a gemini provider with the mock's key, <c>wrong-key</c> on one with another.</summary>
    public sealed class KeyedGateway : KeyedProviderGateway
    {
        public KeyedGateway()
        {
            AddModel("keyed", "gem-keyed", "gemini", MockKey, "gemini-2.5-flash", "0.30", "2.50");
            AddModel("wrong-key", "gem-wrong", "gemini", "not-the-key", "gemini-2.5-flash", "0.30", "2.50");
        }
    }
}
