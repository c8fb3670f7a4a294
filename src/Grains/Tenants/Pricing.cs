
using Gateway.Catalog.Models;

namespace Gateway.Grains.Tenants;

/// <summary>A model's catalog id, provider and prices, fixed when a request is admitted.</summary>
internal sealed record Pricing(string ModelId, string Provider, decimal InputPricePerMillionUsd, decimal OutputPricePerMillionUsd)
{
    public Pricing(string modelId, ModelDefinition model)
        : this(modelId, model.Provider, model.InputPricePerMillionUsd, model.OutputPricePerMillionUsd)
    {
    }

    public decimal CostUsd(long inputTokens, long outputTokens) =>
        (inputTokens * InputPricePerMillionUsd + outputTokens * OutputPricePerMillionUsd) / 1_000_000m;
}
