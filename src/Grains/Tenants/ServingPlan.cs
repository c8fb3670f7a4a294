using Gateway.Grains.Abstractions.Tenants;
using Gateway.Catalog.Models;

namespace Gateway.Grains.Tenants;

/// <summary>
/// The models that may serve an admitted request, in serving order (the requested one, then its fallbacks that exist
/// and that the tenant may use), each with the most output it may produce: the reservation is the worst case over all of
/// them, so it covers whichever serves. Looked up in the catalog by id once per call (the frontend resolved the client's
/// name, alias or id, to the catalog id; prices are the silo's own, never carried from a frontend); <see cref="WorstCase"/>
/// is then arithmetic only, so a search over prompt sizes does not look the chain up again.
/// </summary>
internal sealed class ServingPlan
{
    private readonly (Pricing Pricing, long OutputTokens)[] _models;

    private ServingPlan((Pricing Pricing, long OutputTokens, int Cap)[] models)
    {
        _models = new (Pricing, long)[models.Length];
        Chain = new string[models.Length];
        OutputCaps = new int[models.Length];
        for (var i = 0; i < models.Length; i++)
        {
            _models[i] = (models[i].Pricing, models[i].OutputTokens);
            Chain[i] = models[i].Pricing.ModelId;
            OutputCaps[i] = models[i].Cap;
        }
    }

    /// <summary>Catalog ids in serving order; the first is the requested model.</summary>
    public string[] Chain { get; }

    /// <summary>
    /// The most output each model of <see cref="Chain"/> may write in one completion (its catalog cap), in the same order:
    /// carried to the upstream worker, which bounds a translated request's output with it without a catalog lookup.
    /// </summary>
    public int[] OutputCaps { get; }

    /// <summary>The requested model's prices, which its reservation keeps should the catalog change mid-request.</summary>
    public Pricing Requested => _models[0].Pricing;

    /// <summary>
    /// The plan for <paramref name="request"/>, whose model is a catalog id (an alias is not resolved again here); null when
    /// it is not in the catalog or the tenant may not use it.
    /// The requested model may produce <see cref="AdmissionRequest.MaxOutputTokens"/>; a fallback the client's own limit
    /// per choice, else its cap, times the choices.
    /// </summary>
    public static ServingPlan? For(AdmissionRequest request, TenantConfig config, ModelCatalog models)
    {
        if (!models.TryGet(request.Model, out var modelId, out var model) || !IsAllowed(config, modelId))
        {
            return null;
        }

        var requested = (new Pricing(modelId, model), (long)request.MaxOutputTokens, model.MaxOutputTokens);
        if (model.Fallbacks.Count == 0)
        {
            return new ServingPlan([requested]);
        }

        var chain = new List<(Pricing Pricing, long OutputTokens, int Cap)> { requested };
        foreach (var name in model.Fallbacks)
        {
            if (!models.TryGet(name, out var fallbackId, out var fallback) || !IsAllowed(config, fallbackId)
                || chain.Exists(m => string.Equals(m.Pricing.ModelId, fallbackId, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            chain.Add((new Pricing(fallbackId, fallback), (long)(request.RequestedOutputTokens ?? fallback.MaxOutputTokens) * Math.Max(1, request.Choices), fallback.MaxOutputTokens));
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
