namespace Gateway.Grains.Abstractions.Tenants;

/// <summary>The answer to <see cref="ITenantGrain.AddKeyAsync"/>: the key added, or why not (<see cref="MaxKeys"/>: the limit reached).</summary>
[GenerateSerializer, Immutable, Alias("gw.AddKeyResult")]
public sealed record AddKeyResult(
    [property: Id(0)] AddKeyOutcome Outcome,
    [property: Id(1)] ApiKeyInfo? Key = null,
    [property: Id(2)] int MaxKeys = 0);

[GenerateSerializer, Alias("gw.AddKeyOutcome")]
public enum AddKeyOutcome
{
    Added,
    UnknownTenant,
    TooManyKeys,
}
