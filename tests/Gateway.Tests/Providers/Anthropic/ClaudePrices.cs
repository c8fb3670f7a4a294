namespace Gateway.Tests.Providers.Anthropic;

/// <summary>The built-in catalog's prices of <c>claude-sonnet-4.5</c>, per million tokens, and what a request costs at them.</summary>
public static class ClaudePrices
{
    public const decimal Input = 3.00m;
    public const decimal Output = 15.00m;

    /// <summary>Cache reads: a tenth of the input price.</summary>
    public const decimal CacheRead = 0.30m;

    /// <summary>Five-minute cache writes: 1.25 times the input price.</summary>
    public const decimal CacheWrite = 3.75m;

    /// <summary>The cost of <paramref name="promptTokens"/> (OpenAI's count, cache reads and writes included) and the output.</summary>
    public static decimal CostUsd(long promptTokens, long cacheRead, long cacheWrite, long output) =>
        ((promptTokens - cacheRead - cacheWrite) * Input + cacheRead * CacheRead + cacheWrite * CacheWrite + output * Output) / 1_000_000m;
}
