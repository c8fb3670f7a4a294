using Gateway.Catalog.Tiers;
using Gateway.Grains.Abstractions.Tenants;

namespace Gateway.Grains.Tenants;

/// <summary>The limits a tenant's configuration puts in force: its tier's defaults with its own overrides applied.</summary>
internal static class LimitsInForce
{
    /// <summary>Throws when the tier is not configured: admission cannot decide anything without its limits.</summary>
    public static EffectiveLimits Of(TenantConfig config, TierCatalogOptions tiers, string tenantId)
    {
        if (!tiers.TryGet(config.Tier, out var tier))
        {
            throw new InvalidOperationException($"Tenant '{tenantId}' has tier '{config.Tier}', which is not configured (Gateway:Tiers).");
        }

        return new EffectiveLimits(
            config.Limits.RequestsPerMinute ?? tier.RequestsPerMinute,
            config.Limits.TokensPerMinute ?? tier.TokensPerMinute,
            config.Limits.MaxConcurrent ?? tier.MaxConcurrent,
            config.MonthlyTokenQuota ?? tier.MonthlyTokenQuota,
            config.MonthlyBudgetUsd,
            tier.FairShareWeight);
    }
}
