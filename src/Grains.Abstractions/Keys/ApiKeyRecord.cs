namespace Gateway.Grains.Abstractions.Keys;

[GenerateSerializer, Immutable, Alias("gw.ApiKeyRecord")]
public sealed record ApiKeyRecord(
    [property: Id(0)] string TenantId,
    [property: Id(1)] string KeyId,
    [property: Id(2)] bool Revoked);
