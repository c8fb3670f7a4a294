using System.Net;
using System.Net.Http.Json;
using static Gateway.Tests.Infrastructure.OpenAiErrorAssertions;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A gateway of its own whose mock requires <see cref="MockKey"/>, with models on providers of one kind, each provider
/// with its own key: a fixture for what a provider sends upstream and what a key the provider refuses costs.
/// </summary>
public abstract class KeyedProviderGateway : IAsyncLifetime
{
    public const string MockKey = "mock-provider-key";

    protected KeyedProviderGateway() => Gateway.MockOptions.ApiKey = MockKey;

    public GatewayFactory Gateway { get; } = new();

    public Task InitializeAsync() => Gateway.InitializeAsync();

    public Task DisposeAsync() => ((IAsyncLifetime)Gateway).DisposeAsync();

    /// <summary>
    /// A chat completion to <paramref name="model"/>, whose provider's key the mock refuses: the gateway's problem, a 502
    /// <c>upstream_auth_failed</c> that charges nothing, never the client's.
    /// </summary>
    public async Task AssertARefusedKeyIsA502ThatChargesNothingAsync(string model, string because)
    {
        var (tenantId, key) = await Gateway.CreateTenantWithKeyAsync();
        using var client = Gateway.CreateTenantClient(key);

        using var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model, messages = ChatBodies.Messages(), max_tokens = 3 });

        await AssertOpenAiErrorAsync(response, HttpStatusCode.BadGateway, "server_error", null, "upstream_auth_failed", because);
        Assert.Equal((0L, 0L, 0L, 0m), UsageFigures.Charged(await Gateway.GetUsageAsync(tenantId)));
    }

    /// <summary>Model <paramref name="model"/> on provider <paramref name="provider"/> of <paramref name="kind"/>, at the mock, with <paramref name="apiKey"/>.</summary>
    protected void AddModel(
        string model, string provider, string kind, string apiKey, string upstreamModel, string inputPrice, string outputPrice, IReadOnlyDictionary<string, string>? providerSettings = null)
    {
        Gateway.Settings[$"Providers:{provider}:Kind"] = kind;
        Gateway.Settings[$"Providers:{provider}:BaseUrl"] = "{mock}";
        Gateway.Settings[$"Providers:{provider}:ApiKey"] = apiKey;
        foreach (var (name, value) in providerSettings ?? new Dictionary<string, string>())
        {
            Gateway.Settings[$"Providers:{provider}:{name}"] = value;
        }

        Gateway.Settings[$"Gateway:Models:{model}:Provider"] = provider;
        Gateway.Settings[$"Gateway:Models:{model}:UpstreamModel"] = upstreamModel;
        Gateway.Settings[$"Gateway:Models:{model}:InputPricePerMillionUsd"] = inputPrice;
        Gateway.Settings[$"Gateway:Models:{model}:OutputPricePerMillionUsd"] = outputPrice;
        Gateway.Settings[$"Gateway:Models:{model}:MaxOutputTokens"] = "1000";
    }
}
