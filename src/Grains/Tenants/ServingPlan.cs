using Gateway.Grains.Abstractions.Tenants;
using Gateway.Catalog.Models;

namespace Gateway.Grains.Tenants;

/// <summary>
/// The models that may serve an admitted request, in serving order (the requested one, then its fallbacks that exist
/// and that the tenant may use), each with the most output it may produce: the reservation is the worst case over all of
/// them, so it covers whichever serves. Resolved from the catalog once per call; <see cref="WorstCase"/> is then
/// arithmetic only, so a search over prompt sizes does not resolve the chain again.
/// </summary>
internal sealed class ServingPlan
{
    private readonly (Pricing Pricing, long OutputTokens)[] _models;

    private ServingPlan((Pricing Pricing, long OutputTokens)[] models)
    {
        _models = models;
        Chain = new string[models.Length];
        for (var i = 0; i < models.Length; i++)
        {
            Chain[i] = models[i].Pricing.ModelId;
        }
    }

    /// <summary>Catalog ids in serving order; the first is the requested model.</summary>
    public string[] Chain { get; }

    /// <summary>The requested model's prices, which its reservation keeps should the catalog change mid-request.</summary>
    public Pricing Requested => _models[0].Pricing;

    /// <summary>
    /// The plan for <paramref name="request"/>; null when its model is not in the catalog or the tenant may not use it.
    /// The requested model may produce <see cref="AdmissionRequest.MaxOutputTokens"/>; a fallback the client's own limit
    /// per choice, else its cap, times the choices.
    /// </summary>
    public static ServingPlan? For(AdmissionRequest request, TenantConfig config, ModelCatalog models)
    {
        if (!models.TryResolve(request.Model, out var modelId, out var model) || !IsAllowed(config, modelId))
        {
            return null;
        }

        var requested = (new Pricing(modelId, model), (long)request.MaxOutputTokens);
        if (model.Fallbacks.Count == 0)
        {
            return new ServingPlan([requested]);
        }

        var chain = new List<(Pricing, long)> { requested };
        foreach (var name in model.Fallbacks)
        {
            if (!models.TryResolve(name, out var fallbackId, out var fallback) || !IsAllowed(config, fallbackId)
                || chain.Exists(m => string.Equals(m.Item1.ModelId, fallbackId, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            chain.Add((new Pricing(fallbackId, fallback), (long)(request.RequestedOutputTokens ?? fallback.MaxOutputTokens) * Math.Max(1, request.Choices)));
        }

        return new ServingPlan([.. chain]);
    }

    /// <summary>The most tokens and the most cost that a prompt of <paramref name="promptTokens"/> may take, whichever model serves it.</summary>
    public (long Tokens, decimal CostUsd) WorstCase(int promptTokens)
    {
        var (tokens, cost) = (long.MinValue, decimal.MinValue);
        foreach (var (pricing, output) in _models)
        {
            tokens = Math.Max(tokens, promptTokens + output);
            cost = Math.Max(cost, pricing.WorstCaseUsd(promptTokens, output));
        }

        return (tokens, cost);
    }

    /// <summary>Whether the tenant's allow-list (none: every model) holds a catalog id.</summary>
    public static bool IsAllowed(TenantConfig config, string modelId) =>
        config.AllowedModels is null || config.AllowedModels.Contains(modelId, StringComparer.OrdinalIgnoreCase);
}
