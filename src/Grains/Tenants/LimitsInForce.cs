using Gateway.Catalog.Tiers;
using Gateway.Grains.Abstractions.Tenants;

namespace Gateway.Grains.Tenants;

/// <summary>The limits a tenant's configuration puts in force: its tier's defaults with its own overrides applied.</summary>
internal static class LimitsInForce
{
    /// <summary>
    /// Null when the tenant's tier is not configured: an operator removed it from <c>Gateway:Tiers</c> after tenants were
    /// put in it. Such a tenant is refused (<see cref="AdmissionOutcome.TierNotConfigured"/>) until the tier is configured
    /// again or the tenant is moved to another; its settlements, reports and admin changes keep working.
    /// </summary>
    public static EffectiveLimits? Of(TenantConfig config, TierCatalogOptions tiers) =>
        tiers.TryGet(config.Tier, out var tier)
            ? new EffectiveLimits(
                config.Limits.RequestsPerMinute ?? tier.RequestsPerMinute,
                config.Limits.TokensPerMinute ?? tier.TokensPerMinute,
                config.Limits.MaxConcurrent ?? tier.MaxConcurrent,
                config.MonthlyTokenQuota ?? tier.MonthlyTokenQuota,
                config.MonthlyBudgetUsd,
                config.FairShareWeight ?? tier.FairShareWeight)
            : null;

    /// <summary>What reports show for a tenant whose tier is not configured: nothing is allowed.</summary>
    public static EffectiveLimits Nothing(TenantConfig config) => new(0, 0, 0, 0, config.MonthlyBudgetUsd, 0);
}
