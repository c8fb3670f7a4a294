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
        ["gpt-4.1"] = new()
        {
            Provider = "openai", UpstreamModel = "gpt-4.1",
            InputPricePerMillionUsd = 2.00m, OutputPricePerMillionUsd = 8.00m, MaxOutputTokens = 32_768,
        },
        ["claude-sonnet-4.5"] = new()
        {
            Provider = "anthropic", UpstreamModel = "claude-sonnet-4-5",
            InputPricePerMillionUsd = 3.00m, OutputPricePerMillionUsd = 15.00m, MaxOutputTokens = 64_000,
            Aliases = ["claude-sonnet-4-5"],
        },
        ["gemini-2.5-flash"] = new()
        {
            Provider = "gemini", UpstreamModel = "gemini-2.5-flash",
            InputPricePerMillionUsd = 0.30m, OutputPricePerMillionUsd = 2.50m, MaxOutputTokens = 65_536,
        },
        ["deepseek-v3.2"] = new()
        {
            Provider = "deepseek", UpstreamModel = "deepseek-chat",
            InputPricePerMillionUsd = 0.28m, OutputPricePerMillionUsd = 0.42m, MaxOutputTokens = 8_192,
            Aliases = ["deepseek-chat"],
        },
    };
}
