namespace Gateway.Grains.Abstractions.Tenants;

/// <summary>A tenant as the admin API shows it: configuration, effective limits, keys and usage.</summary>
[GenerateSerializer, Immutable, Alias("gw.TenantView")]
public sealed record TenantView(
    [property: Id(0)] string Id,
    [property: Id(1)] TenantConfig Config,
    [property: Id(2)] EffectiveLimits Effective,
    [property: Id(3)] IReadOnlyList<ApiKeyInfo> Keys,
    [property: Id(4)] UsageReport Usage,
    [property: Id(5)] DateTimeOffset CreatedAt);
