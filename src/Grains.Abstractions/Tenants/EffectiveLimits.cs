namespace Gateway.Grains.Abstractions.Tenants;

/// <summary>The limits in force: the tier's defaults with the tenant's overrides applied. Null means unlimited.</summary>
[GenerateSerializer, Immutable, Alias("gw.EffectiveLimits")]
public sealed record EffectiveLimits(
    [property: Id(0)] int RequestsPerMinute,
    [property: Id(1)] long TokensPerMinute,
    [property: Id(2)] int MaxConcurrent,
    [property: Id(3)] long? MonthlyTokenQuota,
    [property: Id(4)] decimal? MonthlyBudgetUsd,
    [property: Id(5)] int FairShareWeight);
