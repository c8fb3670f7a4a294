using Gateway.Catalog.Models;

namespace Gateway.Grains.Tenants;

/// <summary>
/// A model's catalog id, provider and prices, fixed when a request is admitted. Input is priced three ways: uncached,
/// read from the provider's prompt cache, written to it; reasoning tokens are output and priced as output.
/// </summary>
internal sealed record Pricing(
    string ModelId,
    string Provider,
    decimal InputPricePerMillionUsd,
    decimal OutputPricePerMillionUsd,
    decimal CacheReadPricePerMillionUsd,
    decimal CacheWritePricePerMillionUsd)
{
    public Pricing(string modelId, ModelDefinition model)
        : this(modelId, model.Provider, model.InputPricePerMillionUsd, model.OutputPricePerMillionUsd,
            model.CacheReadPricePerMillionUsd ?? model.InputPricePerMillionUsd, model.CacheWritePricePerMillionUsd ?? model.InputPricePerMillionUsd)
    {
    }

    /// <summary>Prices without a prompt cache of their own: cache reads and writes cost what input costs.</summary>
    public Pricing(string modelId, string provider, decimal inputPricePerMillionUsd, decimal outputPricePerMillionUsd)
        : this(modelId, provider, inputPricePerMillionUsd, outputPricePerMillionUsd, inputPricePerMillionUsd, inputPricePerMillionUsd)
    {
    }

    /// <summary>
    /// The cost of <paramref name="inputTokens"/> (OpenAI's prompt tokens: <paramref name="cacheReadTokens"/> and
    /// <paramref name="cacheWriteTokens"/> included, each at its own price, never as input) and the output.
    /// </summary>
    public decimal CostUsd(long inputTokens, long outputTokens, long cacheReadTokens = 0, long cacheWriteTokens = 0) =>
        (Math.Max(0, inputTokens - cacheReadTokens - cacheWriteTokens) * InputPricePerMillionUsd
            + cacheReadTokens * CacheReadPricePerMillionUsd
            + cacheWriteTokens * CacheWritePricePerMillionUsd
            + outputTokens * OutputPricePerMillionUsd) / 1_000_000m;

    /// <summary>
    /// The most <paramref name="promptTokens"/> and <paramref name="outputTokens"/> can cost: the prompt at the dearest
    /// of its three prices (a cache write costs more than input), the output at its price.
    /// </summary>
    public decimal WorstCaseUsd(long promptTokens, long outputTokens) =>
        (promptTokens * Math.Max(InputPricePerMillionUsd, Math.Max(CacheReadPricePerMillionUsd, CacheWritePricePerMillionUsd))
            + outputTokens * OutputPricePerMillionUsd) / 1_000_000m;
}
