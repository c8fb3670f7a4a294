using Gateway.Grains.Abstractions.Tenants;

namespace Gateway.Grains.Tenants;

/// <summary>Applies an admin API patch to a tenant's configuration: members not set stay, members set to null go back to the default.</summary>
internal static class TenantConfigPatch
{
    public static TenantConfig Apply(TenantConfig config, TenantPatch patch)
    {
        var limits = config.Limits;
        return config with
        {
            Tier = patch.Tier ?? config.Tier,
            AllowedModels = patch.AllowedModels.ApplyTo(config.AllowedModels),
            MonthlyBudgetUsd = patch.MonthlyBudgetUsd.ApplyTo(config.MonthlyBudgetUsd),
            MonthlyTokenQuota = patch.MonthlyTokenQuota.ApplyTo(config.MonthlyTokenQuota),
            Limits = new TenantLimits(
                patch.RequestsPerMinute.ApplyTo(limits.RequestsPerMinute),
                patch.TokensPerMinute.ApplyTo(limits.TokensPerMinute),
                patch.MaxConcurrent.ApplyTo(limits.MaxConcurrent)),
            Cache = patch.Cache.ApplyTo(config.Cache),
            AllowedOrigins = patch.AllowedOrigins.ApplyTo(config.AllowedOrigins),
            FairShareWeight = patch.FairShareWeight.ApplyTo(config.FairShareWeight),
        };
    }
}
