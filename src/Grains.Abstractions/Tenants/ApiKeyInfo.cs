namespace Gateway.Grains.Abstractions.Tenants;

/// <summary>What is known of a key after its creation: never the key itself.</summary>
[GenerateSerializer, Immutable, Alias("gw.ApiKeyInfo")]
public sealed record ApiKeyInfo(
    [property: Id(0)] string Id,
    [property: Id(1)] DateTimeOffset CreatedAt,
    [property: Id(2)] DateTimeOffset? RevokedAt);
