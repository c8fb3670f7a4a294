namespace Gateway.Catalog.Models;

/// <summary>
/// The model catalog (configuration <c>Gateway:Models</c>): model id → provider, upstream name, prices, output
/// cap, aliases. When the section is empty, <see cref="Defaults"/> apply; when it is present it replaces them.
/// </summary>
public sealed class ModelCatalogOptions
{
    public const string Section = "Gateway:Models";

    public Dictionary<string, ModelDefinition> Models { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Public list prices per one million tokens, as published by each provider.</summary>
    public static IReadOnlyDictionary<string, ModelDefinition> Defaults { get; } = new Dictionary<string, ModelDefinition>
    {
        // OpenAI's pricing page (platform.openai.com/docs/pricing): $2 input, $0.50 cached input (the prompt_tokens_details.
        // cached_tokens of its usage), $8 output (reasoning tokens included). OpenAI charges nothing for writing its cache.
        ["gpt-4.1"] = new()
        {
            Provider = "openai", UpstreamModel = "gpt-4.1",
            InputPricePerMillionUsd = 2.00m, OutputPricePerMillionUsd = 8.00m, MaxOutputTokens = 32_768,
            CacheReadPricePerMillionUsd = 0.50m,
        },
        // Anthropic retired claude-sonnet-4-5 on 2026-11-30 (the DEPRECATED_MODELS table of the official SDK,
        // anthropic-sdk-typescript src/resources/messages/messages.ts); its recommended replacement on Anthropic's model
        // deprecations page is claude-sonnet-4-6, listed at $3 / $15 per million tokens (platform.claude.com/docs/en/models/
        // sonnet-4-6/overview), cache reads $0.30, five-minute cache writes $3.75 and one-hour cache writes $6. The catalog id stays, so clients keep working.
        ["claude-sonnet-4.5"] = new()
        {
            Provider = "anthropic", UpstreamModel = "claude-sonnet-4-6",
            InputPricePerMillionUsd = 3.00m, OutputPricePerMillionUsd = 15.00m, MaxOutputTokens = 64_000,
            CacheReadPricePerMillionUsd = 0.30m, CacheWritePricePerMillionUsd = 3.75m, CacheWrite1hPricePerMillionUsd = 6.00m,
            Aliases = ["claude-sonnet-4-5"],
        },
        // Google's pricing page (ai.google.dev/gemini-api/docs/pricing, paid tier): $0.30 input, $2.50 output (thinking
        // included), context caching $0.03 per million cached text, image or video tokens read (cache storage is billed by
        // the hour to whoever created the cache, not per request). Gemini reports no cache writes.
        ["gemini-2.5-flash"] = new()
        {
            Provider = "gemini", UpstreamModel = "gemini-2.5-flash",
            InputPricePerMillionUsd = 0.30m, OutputPricePerMillionUsd = 2.50m, MaxOutputTokens = 65_536,
            CacheReadPricePerMillionUsd = 0.03m,
        },
        // DeepSeek's pricing page (api-docs.deepseek.com/quick_start/pricing): $0.28 input (cache miss), $0.028 input read
        // from its context cache (cache hit), $0.42 output.
        ["deepseek-v3.2"] = new()
        {
            Provider = "deepseek", UpstreamModel = "deepseek-chat",
            InputPricePerMillionUsd = 0.28m, OutputPricePerMillionUsd = 0.42m, MaxOutputTokens = 8_192,
            CacheReadPricePerMillionUsd = 0.028m,
            Aliases = ["deepseek-chat"],
        },
    };
}
