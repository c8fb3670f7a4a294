using Microsoft.Extensions.Options;

namespace Gateway.Catalog.Models;

/// <summary>Refuses to start with a model catalog that cannot route, naming the setting to fix.</summary>
internal sealed class ModelCatalogOptionsValidator : IValidateOptions<ModelCatalogOptions>
{
    public ValidateOptionsResult Validate(string? name, ModelCatalogOptions options)
    {
        var models = options.Models.Count > 0 ? options.Models : ModelCatalogOptions.Defaults;
        var failures = new List<string>();
        foreach (var (id, model) in models)
        {
            var at = $"{ModelCatalogOptions.Section}:{id}";
            if (model.Deployments.Count > 0 && (!string.IsNullOrEmpty(model.Provider) || model.UpstreamModel is not null))
            {
                failures.Add($"{at} sets both Provider/UpstreamModel and Deployments: put the provider in each deployment ({at}:Deployments:<i>:Provider) and remove {at}:Provider.");
            }
            else if (model.Deployments.Count == 0 && string.IsNullOrEmpty(model.Provider))
            {
                failures.Add($"{at} has no provider: set {at}:Provider or list {at}:Deployments.");
            }

            for (var i = 0; i < model.Deployments.Count; i++)
            {
                var d = model.Deployments[i];
                var dAt = $"{at}:Deployments:{i}";
                if (string.IsNullOrEmpty(d.Provider)) failures.Add($"{dAt}:Provider is required (a key of the Providers section).");
                if (d.Weight <= 0) failures.Add($"{dAt}:Weight must be positive (default 1).");
                if (d.RequestsPerMinute is <= 0) failures.Add($"{dAt}:RequestsPerMinute must be positive (leave it out for unlimited).");
                if (d.TokensPerMinute is <= 0) failures.Add($"{dAt}:TokensPerMinute must be positive (leave it out for unlimited).");
                if (d.MaxConcurrent is <= 0) failures.Add($"{dAt}:MaxConcurrent must be positive (leave it out for unlimited).");
            }

            if (!string.Equals(model.Routing, RoutingModes.Weighted, StringComparison.OrdinalIgnoreCase)
                && !string.Equals(model.Routing, RoutingModes.LeastLatency, StringComparison.OrdinalIgnoreCase))
            {
                failures.Add($"{at}:Routing is '{model.Routing}': use '{RoutingModes.Weighted}' or '{RoutingModes.LeastLatency}'.");
            }

            foreach (var fallback in model.Fallbacks)
            {
                if (!models.ContainsKey(fallback) || string.Equals(fallback, id, StringComparison.OrdinalIgnoreCase))
                {
                    failures.Add($"{at}:Fallbacks names '{fallback}', which is not another model id of {ModelCatalogOptions.Section}.");
                }
            }

            if (model.MaxOutputTokens <= 0) failures.Add($"{at}:MaxOutputTokens must be positive.");
            if (model.InputPricePerMillionUsd < 0 || model.OutputPricePerMillionUsd < 0 || model.CacheReadPricePerMillionUsd < 0 || model.CacheWritePricePerMillionUsd < 0
                || model.CacheWrite1hPricePerMillionUsd < 0)
            {
                failures.Add($"{at}: prices must not be negative (InputPricePerMillionUsd, OutputPricePerMillionUsd, CacheReadPricePerMillionUsd, CacheWritePricePerMillionUsd, CacheWrite1hPricePerMillionUsd).");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
