using Microsoft.Extensions.Options;

namespace Gateway.Catalog.Tiers;

/// <summary>Refuses to start with a tier whose limits cannot work, naming the setting to fix.</summary>
internal sealed class TierCatalogOptionsValidator : IValidateOptions<TierCatalogOptions>
{
    public ValidateOptionsResult Validate(string? name, TierCatalogOptions options)
    {
        var failures = new List<string>();
        foreach (var (tier, t) in options.Tiers)
        {
            if (t.RequestsPerMinute <= 0) failures.Add($"Gateway:Tiers:{tier}:RequestsPerMinute must be positive.");
            if (t.TokensPerMinute <= 0) failures.Add($"Gateway:Tiers:{tier}:TokensPerMinute must be positive.");
            if (t.MaxConcurrent <= 0) failures.Add($"Gateway:Tiers:{tier}:MaxConcurrent must be positive.");
            if (t.FairShareWeight <= 0) failures.Add($"Gateway:Tiers:{tier}:FairShareWeight must be positive.");
            if (t.MonthlyTokenQuota is < 0) failures.Add($"Gateway:Tiers:{tier}:MonthlyTokenQuota must not be negative (leave it out for unlimited).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
