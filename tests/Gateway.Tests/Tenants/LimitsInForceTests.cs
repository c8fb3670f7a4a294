using Gateway.Catalog.Tiers;
using Gateway.Grains.Abstractions.Tenants;
using Gateway.Grains.Tenants;

namespace Gateway.Tests.Tenants;

/// <summary>The limits a tenant's configuration puts in force (<see cref="LimitsInForce"/>): tier defaults, overrides, configured tiers.</summary>
public sealed class LimitsInForceTests
{
    [Fact]
    public void TheTiersDefaultsApplyWhereTheTenantSetsNothing()
    {
        var limits = LimitsInForce.Of(new TenantConfig("silver", null, null, null, TenantLimits.None), new TierCatalogOptions());

        Assert.Equal(new EffectiveLimits(300, 500_000, 20, 10_000_000, null, 2), limits);
    }

    [Fact]
    public void TheTenantsOverridesReplaceTheTiersDefaults()
    {
        var config = new TenantConfig("silver", null, 12.5m, 42_000, new TenantLimits(7, 9_000, 3), FairShareWeight: 6);

        var limits = LimitsInForce.Of(config, new TierCatalogOptions());

        Assert.Equal(new EffectiveLimits(7, 9_000, 3, 42_000, 12.5m, 6), limits);
    }

    [Fact]
    public void AConfiguredTierReplacesItsBuiltInDefaults()
    {
        var tiers = new TierCatalogOptions { Tiers = { ["silver"] = new() { RequestsPerMinute = 1, TokensPerMinute = 2, MaxConcurrent = 3, FairShareWeight = 5 } } };

        var limits = LimitsInForce.Of(new TenantConfig("Silver", null, null, null, TenantLimits.None), tiers);

        Assert.Equal(new EffectiveLimits(1, 2, 3, null, null, 5), limits);
    }

    [Fact]
    public void ATierThatIsNotConfiguredPutsNoLimitsInForce()
    {
        var config = new TenantConfig("copper", null, 4m, null, TenantLimits.None);

        Assert.Null(LimitsInForce.Of(config, new TierCatalogOptions()));
        Assert.Equal(new EffectiveLimits(0, 0, 0, 0, 4m, 0), LimitsInForce.Nothing(config));
    }
}
