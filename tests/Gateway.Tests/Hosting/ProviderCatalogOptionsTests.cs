using Gateway.Catalog.Models;
using Gateway.Grains.Providers;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Hosting;

/// <summary>
/// The providers' wire formats: validated at start with messages naming the setting, the built-in <c>anthropic</c> of
/// kind anthropic at its host root, and the cache prices an Anthropic-kind model gets when it states none.
/// </summary>
public sealed class ProviderCatalogOptionsTests
{
    [Fact]
    public void AnUnknownKindOrAnthropicVersionIsRefusedNamingTheSetting()
    {
        var options = new ProviderCatalogOptions();
        options.Providers["azure"] = new ProviderOptions { Kind = "azure", BaseUrl = new Uri("https://example.test/v1") };
        options.Providers["claude"] = new ProviderOptions { Kind = "Anthropic", BaseUrl = new Uri("https://example.test"), AnthropicVersion = "2024-01-01" };

        var result = new ProviderCatalogOptionsValidator().Validate(null, options);

        Assert.Equal(
            [
                "Providers:azure:Kind is 'azure': set it to one of openai, anthropic, gemini ('openai', OpenAI-compatible, when absent).",
                "Providers:claude:AnthropicVersion is '2024-01-01': set it to one of 2023-06-01, 2026-10-21 (default 2023-06-01).",
            ],
            result.Failures);
    }

    [Theory]
    [InlineData("2023-06-01")]
    [InlineData("2026-10-21")]
    public void BothAnthropicVersionsAreAccepted(string version)
    {
        var options = new ProviderCatalogOptions();
        options.Providers["anthropic"] = new ProviderOptions { AnthropicVersion = version };

        Assert.True(new ProviderCatalogOptionsValidator().Validate(null, options).Succeeded);
    }

    [Fact]
    public void TheBuiltInAnthropicProviderIsOfKindAnthropicAtTheHostRoot()
    {
        var options = new ProviderCatalogOptions();

        Assert.True(options.TryGet("anthropic", out var anthropic));
        Assert.Equal(new Uri("https://api.anthropic.com"), anthropic.BaseUrl);
        Assert.Equal(ProviderKinds.Anthropic, ProviderCatalogOptions.KindOf("anthropic", anthropic));
        Assert.Equal("2023-06-01", anthropic.AnthropicVersion);
        Assert.Equal(ProviderKinds.OpenAi, ProviderCatalogOptions.KindOf("deepseek", new ProviderOptions()));
        Assert.Equal(ProviderKinds.OpenAi, ProviderCatalogOptions.KindOf("anthropic", new ProviderOptions { Kind = "openai" }));
    }

    [Fact]
    public void AModelServedOnlyByAnthropicKindProvidersGetsAnthropicsCachePricesUnlessItStatesItsOwn()
    {
        var providers = new ProviderCatalogOptions();
        providers.Providers["claude-eu"] = new ProviderOptions { Kind = "anthropic", BaseUrl = new Uri("https://example.test") };
        providers.Providers["compat"] = new ProviderOptions { BaseUrl = new Uri("https://example.test/v1") };
        var models = new ModelCatalogOptions();
        models.Models["derived"] = new ModelDefinition { Provider = "anthropic", InputPricePerMillionUsd = 4m };
        models.Models["stated"] = new ModelDefinition { Provider = "claude-eu", InputPricePerMillionUsd = 4m, CacheReadPricePerMillionUsd = 1m, CacheWrite1hPricePerMillionUsd = 7m };
        models.Models["mixed"] = new ModelDefinition
        {
            InputPricePerMillionUsd = 4m,
            Deployments = [new DeploymentDefinition { Provider = "claude-eu" }, new DeploymentDefinition { Provider = "compat" }],
        };

        new AnthropicCachePrices(new StaticMonitor(providers)).PostConfigure(null, models);

        Assert.Equal((0.4m, 5m, 8m), CachePrices(models.Models["derived"]));
        Assert.Equal((1m, 5m, 7m), CachePrices(models.Models["stated"]));
        Assert.Equal((null, null, null), CachePrices(models.Models["mixed"]));
    }

    private static (decimal? Read, decimal? Write, decimal? Write1h) CachePrices(ModelDefinition model) =>
        (model.CacheReadPricePerMillionUsd, model.CacheWritePricePerMillionUsd, model.CacheWrite1hPricePerMillionUsd);

    private sealed class StaticMonitor(ProviderCatalogOptions value) : IOptionsMonitor<ProviderCatalogOptions>
    {
        public ProviderCatalogOptions CurrentValue => value;

        public ProviderCatalogOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<ProviderCatalogOptions, string?> listener) => null;
    }
}
