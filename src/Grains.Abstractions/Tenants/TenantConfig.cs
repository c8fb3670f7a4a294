namespace Gateway.Grains.Abstractions.Tenants;

/// <summary>
/// What an operator sets for a tenant. Null quota or budget means "the tier's default" (quota) or
/// "no budget" (budget); a null model list allows every model in the catalog; a null cache is no response cache;
/// <see cref="AllowedOrigins"/> are the browser origins (<c>https://app.example.com</c>) whose requests its keys may make;
/// <see cref="FairShareWeight"/> overrides the tier's weight in a full deployment's fair queue (null: the tier's).
/// </summary>
[GenerateSerializer, Immutable, Alias("gw.TenantConfig")]
public sealed record TenantConfig(
    [property: Id(0)] string Tier,
    [property: Id(1)] IReadOnlyList<string>? AllowedModels,
    [property: Id(2)] decimal? MonthlyBudgetUsd,
    [property: Id(3)] long? MonthlyTokenQuota,
    [property: Id(4)] TenantLimits Limits,
    [property: Id(5)] TenantCacheSettings? Cache = null,
    [property: Id(6)] IReadOnlyList<string>? AllowedOrigins = null,
    [property: Id(7)] int? FairShareWeight = null);
