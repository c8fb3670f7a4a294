using Gateway.Catalog.Models;

namespace Gateway.Grains.Tenants;

/// <summary>
/// A model's catalog id, provider and prices, fixed when a request is admitted. Input is priced four ways: uncached, read
/// from the provider's prompt cache, written to it (five-minute writes, Anthropic's default), written to it for an hour;
/// reasoning tokens are output and priced as output.
/// </summary>
internal sealed record Pricing(
    string ModelId,
    string Provider,
    decimal InputPricePerMillionUsd,
    decimal OutputPricePerMillionUsd,
    decimal CacheReadPricePerMillionUsd,
    decimal CacheWritePricePerMillionUsd,
    decimal CacheWrite1hPricePerMillionUsd)
{
    /// <summary>
    /// The catalog's prices; a cache price it leaves out is the input price (a one-hour write's: the cache-write price),
    /// so a provider that reports cached input for a model without a cache price charges it as the input it is.
    /// </summary>
    public Pricing(string modelId, ModelDefinition model)
        : this(modelId, model.Provider, model.InputPricePerMillionUsd, model.OutputPricePerMillionUsd,
            model.CacheReadPricePerMillionUsd ?? model.InputPricePerMillionUsd, model.CacheWritePricePerMillionUsd ?? model.InputPricePerMillionUsd,
            model.CacheWrite1hPricePerMillionUsd ?? model.CacheWritePricePerMillionUsd ?? model.InputPricePerMillionUsd)
    {
    }

    /// <summary>Prices without a prompt cache of their own: cache reads and writes cost what input costs.</summary>
    public Pricing(string modelId, string provider, decimal inputPricePerMillionUsd, decimal outputPricePerMillionUsd)
        : this(modelId, provider, inputPricePerMillionUsd, outputPricePerMillionUsd, inputPricePerMillionUsd, inputPricePerMillionUsd, inputPricePerMillionUsd)
    {
    }

    /// <summary>
    /// The cost of <paramref name="tokens"/>: OpenAI's prompt tokens, of which the cache reads and writes (the one-hour
    /// writes among these) are each at their own price and only the rest at the input price; the output (reasoning
    /// included, never counted twice) at the output price. Counts that do not fit in the prompt are clamped to it.
    /// </summary>
    public decimal CostUsd(in TokenUsage tokens)
    {
        var input = Math.Max(0, tokens.Input);
        var read = Math.Clamp(tokens.CachedInput, 0, input);
        var written = Math.Clamp(tokens.CacheWrite, 0, input - read);
        var hour = Math.Clamp(tokens.CacheWrite1h, 0, written);
        return ((input - read - written) * InputPricePerMillionUsd
            + read * CacheReadPricePerMillionUsd
            + (written - hour) * CacheWritePricePerMillionUsd
            + hour * CacheWrite1hPricePerMillionUsd
            + Math.Max(0, tokens.Output) * OutputPricePerMillionUsd) / 1_000_000m;
    }

    /// <summary><see cref="CostUsd(in TokenUsage)"/> of a prompt and output with the cache reads and (five-minute) writes given.</summary>
    public decimal CostUsd(long inputTokens, long outputTokens, long cacheReadTokens = 0, long cacheWriteTokens = 0) =>
        CostUsd(new TokenUsage(inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens));

    /// <summary>
    /// The most <paramref name="promptTokens"/> and <paramref name="outputTokens"/> can cost: the prompt at the dearest
    /// of its prices (a one-hour cache write costs twice the input at Anthropic), the output at its price.
    /// </summary>
    public decimal WorstCaseUsd(long promptTokens, long outputTokens) =>
        (promptTokens * Math.Max(Math.Max(InputPricePerMillionUsd, CacheReadPricePerMillionUsd), Math.Max(CacheWritePricePerMillionUsd, CacheWrite1hPricePerMillionUsd))
            + outputTokens * OutputPricePerMillionUsd) / 1_000_000m;
}
