namespace Gateway.Tests.Providers.Gemini;

/// <summary>The built-in catalog's prices of <c>gemini-2.5-flash</c>, per million tokens, and what a request costs at them.</summary>
public static class GeminiPrices
{
    public const decimal Input = 0.30m;

    /// <summary>Output, thoughts included.</summary>
    public const decimal Output = 2.50m;

    /// <summary>Cached input (context caching), Google's own price: a tenth of the input price.</summary>
    public const decimal CacheRead = 0.03m;

    /// <summary>The cost of <paramref name="promptTokens"/> (OpenAI's count, cached input included) and the output.</summary>
    public static decimal CostUsd(long promptTokens, long cached, long output) =>
        ((promptTokens - cached) * Input + cached * CacheRead + output * Output) / 1_000_000m;
}
