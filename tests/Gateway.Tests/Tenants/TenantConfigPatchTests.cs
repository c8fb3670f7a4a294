using Gateway.Grains.Abstractions.Tenants;
using Gateway.Grains.Tenants;

namespace Gateway.Tests.Tenants;

/// <summary>An admin patch applied to a tenant's configuration (<see cref="TenantConfigPatch"/>).</summary>
public sealed class TenantConfigPatchTests
{
    private static readonly TenantConfig Config = new(
        "silver", ["gpt-4.1"], 3m, 5_000, new TenantLimits(10, 20_000, 2), new TenantCacheSettings(true), ["https://app.example.com"]);

    [Fact]
    public void AnEmptyPatchChangesNothing()
    {
        var patch = new TenantPatch(null, default, default, default, default, default, default);

        Assert.Equal(Config, TenantConfigPatch.Apply(Config, patch));
    }

    [Fact]
    public void SetMembersAreReplacedAndOthersKept()
    {
        var patch = new TenantPatch("gold", default, Patch<decimal?>.To(12.5m), default, default, Patch<long?>.To(30_000), default);

        Assert.Equal(
            Config with { Tier = "gold", MonthlyBudgetUsd = 12.5m, Limits = new TenantLimits(10, 30_000, 2) },
            TenantConfigPatch.Apply(Config, patch));
    }

    [Fact]
    public void MembersSetToNullGoBackToTheirDefault()
    {
        var patch = new TenantPatch(null, Patch<IReadOnlyList<string>?>.To(null), Patch<decimal?>.To(null), Patch<long?>.To(null),
            Patch<int?>.To(null), Patch<long?>.To(null), Patch<int?>.To(null), Patch<TenantCacheSettings?>.To(null), Patch<IReadOnlyList<string>?>.To(null));

        Assert.Equal(new TenantConfig("silver", null, null, null, TenantLimits.None), TenantConfigPatch.Apply(Config, patch));
    }
}
