namespace Gateway.Grains.Abstractions.Tenants;

/// <summary>
/// A partial change of <see cref="TenantConfig"/>: a member that is not <c>Set</c> stays as it is; a set member
/// with a null value resets it to the default.
/// </summary>
[GenerateSerializer, Immutable, Alias("gw.TenantPatch")]
public sealed record TenantPatch(
    [property: Id(0)] string? Tier,
    [property: Id(1)] Patch<IReadOnlyList<string>?> AllowedModels,
    [property: Id(2)] Patch<decimal?> MonthlyBudgetUsd,
    [property: Id(3)] Patch<long?> MonthlyTokenQuota,
    [property: Id(4)] Patch<int?> RequestsPerMinute,
    [property: Id(5)] Patch<long?> TokensPerMinute,
    [property: Id(6)] Patch<int?> MaxConcurrent,
    [property: Id(7)] Patch<TenantCacheSettings?> Cache = default,
    [property: Id(8)] Patch<IReadOnlyList<string>?> AllowedOrigins = default,
    [property: Id(9)] Patch<int?> FairShareWeight = default);
