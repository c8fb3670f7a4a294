using Gateway.Catalog.Models;
using Gateway.Grains.Abstractions.Tenants;
using Gateway.Grains.Tenants;

namespace Gateway.Tests.Tenants;

/// <summary>
/// Every kind of token at its own price: prompt-cache reads never as input (the bug of LiteLLM #11789 and #9812), cache
/// writes at the five-minute or the one-hour price, reasoning as output and never on top of it; and the reservation covers
/// the dearest way a prompt can be billed: as one-hour cache writes, which cost twice the input.
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
    public void OneHourCacheWritesCostTwiceTheInputAndTheOtherWritesTheFiveMinutePrice()
    {
        var claude = new Pricing("claude-sonnet-4.5", BuiltIn.Get("claude-sonnet-4.5"));

        // 1,000 prompt tokens: 100 read, 500 written of which 300 to be kept an hour, 400 uncached; 20 output.
        var cost = claude.CostUsd(new TokenUsage(1_000, 20, CachedInput: 100, CacheWrite: 500, CacheWrite1h: 300));

        Assert.Equal((400 * 3.00m + 100 * 0.30m + 200 * 3.75m + 300 * 6.00m + 20 * 15.00m) / 1_000_000m, cost);
    }

    [Fact]
    public void OpenAiCachedTokensArePartOfThePromptAndPricedAsCacheReads()
    {
        var gpt = new Pricing("gpt-4.1", BuiltIn.Get("gpt-4.1"));

        // OpenAI's prompt_tokens 1,000 include cached_tokens 800 (Portkey #1564): 200 at $2, 800 at $0.50, not 1,800 tokens.
        var cost = gpt.CostUsd(new TokenUsage(1_000, 10, CachedInput: 800));

        Assert.Equal((200 * 2.00m + 800 * 0.50m + 10 * 8.00m) / 1_000_000m, cost);
        Assert.NotEqual(gpt.CostUsd(1_000, 10), cost);
    }

    [Fact]
    public void ReasoningTokensArePricedAsTheOutputTheyArePartOfAndNeverChargedTwice()
    {
        var gpt = new Pricing("gpt-4.1", BuiltIn.Get("gpt-4.1"));

        // completion_tokens 300 include reasoning_tokens 250.
        Assert.Equal((100 * 2.00m + 300 * 8.00m) / 1_000_000m, gpt.CostUsd(new TokenUsage(100, 300, Reasoning: 250)));
    }

    [Fact]
    public void DetailsLargerThanThePromptAreClampedToItSoNothingIsPricedTwice()
    {
        var claude = new Pricing("claude-sonnet-4.5", BuiltIn.Get("claude-sonnet-4.5"));

        // A provider's nonsense: more cached and written than the prompt holds, more one-hour writes than writes.
        var cost = claude.CostUsd(new TokenUsage(100, 0, CachedInput: 80, CacheWrite: 50, CacheWrite1h: 90));

        Assert.Equal((80 * 0.30m + 20 * 6.00m) / 1_000_000m, cost);
    }

    [Fact]
    public void TheReservationPricesThePromptAsOneHourCacheWritesTheDearestWayToBillIt()
    {
        var plan = ServingPlan.For(new AdmissionRequest("r", "claude-sonnet-4.5", 1_000, 100), TenantParts.Unlimited, BuiltIn)!;

        var (tokens, cost) = plan.WorstCase(1_000);

        Assert.Equal(1_100, tokens);
        Assert.Equal((1_000 * 6.00m + 100 * 15.00m) / 1_000_000m, cost);
        Assert.True(cost >= plan.Requested.CostUsd(new TokenUsage(1_000, 100, CacheWrite: 1_000, CacheWrite1h: 1_000)));
        Assert.True(cost > plan.Requested.CostUsd(1_000, 100, cacheWriteTokens: 1_000));
    }

    [Fact]
    public void AModelWithoutCachePricesPricesCachedInputAndEveryCacheWriteAsInput()
    {
        var model = new ModelDefinition { Provider = "compat", InputPricePerMillionUsd = 1.50m, OutputPricePerMillionUsd = 2m };
        var compat = new Pricing("compat-model", model);

        Assert.Equal(compat.CostUsd(1_000, 10), compat.CostUsd(new TokenUsage(1_000, 10, CachedInput: 400, CacheWrite: 100, CacheWrite1h: 50)));
        Assert.Equal(compat.CostUsd(1_000, 10), compat.WorstCaseUsd(1_000, 10));
    }

    [Fact]
    public void AModelWithACacheWritePriceButNoOneHourPricePricesOneHourWritesAtTheCacheWritePrice()
    {
        var model = new ModelDefinition { Provider = "compat", InputPricePerMillionUsd = 1m, CacheWritePricePerMillionUsd = 1.5m };
        var compat = new Pricing("compat-model", model);

        Assert.Equal(1.5m, compat.CacheWrite1hPricePerMillionUsd);
        Assert.Equal(100 * 1.5m / 1_000_000m, compat.CostUsd(new TokenUsage(100, 0, CacheWrite: 100, CacheWrite1h: 100)));
    }

    [Fact]
    public void ACheckpointedReservationKeepsItsOneHourPriceAndOneSavedBeforeItTakesTheCacheWritePrice()
    {
        var pricing = new Pricing("m", "p", 3m, 15m, 0.3m, 3.75m, 6m);
        var open = OpenReservation.From(new Reservation("r", pricing, 10, 0.1m, DateTimeOffset.UnixEpoch));

        Assert.Equal(pricing, open.ToReservation().Pricing);

        open.CacheWrite1hPricePerMillionUsd = null;
        Assert.Equal(pricing with { CacheWrite1hPricePerMillionUsd = 3.75m }, open.ToReservation().Pricing);
    }
}
