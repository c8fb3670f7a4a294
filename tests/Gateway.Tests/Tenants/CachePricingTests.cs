using Gateway.Catalog.Models;
using Gateway.Grains.Abstractions.Tenants;
using Gateway.Grains.Tenants;

namespace Gateway.Tests.Tenants;

/// <summary>
/// Prompt-cache tokens are priced at their own prices, never as input (the bug of LiteLLM #11789), and the reservation
/// covers the dearest way a prompt can be billed: as cache writes, which cost more than input.
/// </summary>
public sealed class CachePricingTests
{
    private static readonly ModelCatalog BuiltIn = new(new ModelCatalogOptions());

    [Fact]
    public void CacheReadsAndWritesArePricedAtTheirOwnPricesAndTheRestAsInput()
    {
        var claude = new Pricing("claude-sonnet-4.5", BuiltIn.Get("claude-sonnet-4.5"));

        // 1,000 prompt tokens, of which 600 read from the cache and 100 written to it; 50 output.
        var cost = claude.CostUsd(inputTokens: 1_000, outputTokens: 50, cacheReadTokens: 600, cacheWriteTokens: 100);

        Assert.Equal((300 * 3.00m + 600 * 0.30m + 100 * 3.75m + 50 * 15.00m) / 1_000_000m, cost);
        Assert.Equal((1_000 * 3.00m + 50 * 15.00m) / 1_000_000m, claude.CostUsd(1_000, 50));
    }

    [Fact]
    public void TheReservationPricesThePromptAsCacheWritesWhenTheyAreDearerThanInput()
    {
        var plan = ServingPlan.For(new AdmissionRequest("r", "claude-sonnet-4.5", 1_000, 100), TenantParts.Unlimited, BuiltIn)!;

        var (tokens, cost) = plan.WorstCase(1_000);

        Assert.Equal(1_100, tokens);
        Assert.Equal((1_000 * 3.75m + 100 * 15.00m) / 1_000_000m, cost);
        Assert.True(cost >= plan.Requested.CostUsd(1_000, 100, cacheWriteTokens: 1_000));
    }

    [Fact]
    public void AModelWithoutCachePricesPricesCachedInputAsInput()
    {
        var gpt = new Pricing("gpt-4.1", BuiltIn.Get("gpt-4.1"));

        Assert.Equal(gpt.CostUsd(1_000, 10), gpt.CostUsd(1_000, 10, cacheReadTokens: 400, cacheWriteTokens: 100));
        Assert.Equal(gpt.CostUsd(1_000, 10), gpt.WorstCaseUsd(1_000, 10));
    }
}
