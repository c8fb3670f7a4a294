namespace Gateway.Grains.Abstractions.Tenants;

/// <summary>The answer to <see cref="ITenantGrain.AdmitAsync"/>: admitted (and reserved), or why not and when to retry.</summary>
[GenerateSerializer, Immutable, Alias("gw.AdmissionResult")]
public sealed record AdmissionResult(
    [property: Id(0)] AdmissionOutcome Outcome,
    [property: Id(1)] RateLimitStatus RateLimits,
    [property: Id(2)] TimeSpan RetryAfter)
{
    public bool IsAdmitted => Outcome == AdmissionOutcome.Admitted;
}
