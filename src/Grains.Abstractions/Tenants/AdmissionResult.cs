namespace Gateway.Grains.Abstractions.Tenants;

/// <summary>
/// The answer to <see cref="ITenantGrain.AdmitAsync"/>: admitted (and reserved), or why not and when to retry. When
/// admitted, <see cref="Chain"/> lists the models the reservation covers, in serving order (the requested model, then the
/// fallbacks the tenant may use), <see cref="ReservedTokens"/> the worst case held, and <see cref="Cache"/> the tenant's
/// response cache when it has one enabled, and <see cref="FairShareWeight"/> its share of a contended deployment.
/// <see cref="OutputCaps"/>, in the order of <see cref="Chain"/>, is the most output each of its models may write in one
/// completion, as the silo's catalog says: the frontend passes it on to the upstream worker with the chain.
/// </summary>
[GenerateSerializer, Immutable, Alias("gw.AdmissionResult")]
public sealed record AdmissionResult(
    [property: Id(0)] AdmissionOutcome Outcome,
    [property: Id(1)] RateLimitStatus RateLimits,
    [property: Id(2)] TimeSpan RetryAfter,
    [property: Id(3)] string[]? Chain = null,
    [property: Id(4)] long ReservedTokens = 0,
    [property: Id(5)] TenantCacheSettings? Cache = null,
    [property: Id(6)] int FairShareWeight = 1,
    [property: Id(7)] int[]? OutputCaps = null)
{
    public bool IsAdmitted => Outcome == AdmissionOutcome.Admitted;
}
