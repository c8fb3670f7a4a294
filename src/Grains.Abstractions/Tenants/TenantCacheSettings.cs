namespace Gateway.Grains.Abstractions.Tenants;

/// <summary>
/// A tenant's response cache (admin API <c>"cache"</c>): off unless <see cref="Enabled"/>. Entries live
/// <see cref="TtlSeconds"/> (a request may ask for less or more with <c>x-gateway-cache-ttl</c>, up to
/// <see cref="MaxTtlSeconds"/>); the tenant keeps at most <see cref="MaxEntries"/>, the oldest going first. Only requests
/// that ask for determinism (<c>temperature</c> 0 or a <c>seed</c>) are eligible unless <see cref="DeterministicOnly"/> is
/// false. A hit is charged <see cref="HitCostFraction"/> of what the stored answer cost (0: free).
/// </summary>
[GenerateSerializer, Immutable, Alias("gw.TenantCacheSettings")]
public sealed record TenantCacheSettings(
    [property: Id(0)] bool Enabled,
    [property: Id(1)] int TtlSeconds = TenantCacheSettings.DefaultTtlSeconds,
    [property: Id(2)] int MaxEntries = TenantCacheSettings.DefaultMaxEntries,
    [property: Id(3)] bool DeterministicOnly = true,
    [property: Id(4)] decimal HitCostFraction = 0m)
{
    public const int DefaultTtlSeconds = 300;
    public const int DefaultMaxEntries = 10_000;
    public const int MaxTtlSeconds = 7 * 24 * 3600;
    public const int MaxMaxEntries = 1_000_000;
}
