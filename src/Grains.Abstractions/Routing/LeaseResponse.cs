namespace Gateway.Grains.Abstractions.Routing;

/// <summary>The capacity grain's answer to a <see cref="LeaseRequest"/>.</summary>
/// <param name="Outcome">Whether the call was applied, and whether the need was met.</param>
/// <param name="Granted">Capacity added to the pool's lease; at least the need when granted.</param>
/// <param name="Refusal">When refused: the limit that is reached.</param>
/// <param name="RetryAfter">When refused: how long until the capacity is expected, always above zero.</param>
/// <param name="GiveBack">Other silos are short: the pool should give back its spare now rather than when idle.</param>
[GenerateSerializer, Immutable, Alias("gw.LeaseResponse")]
public sealed record LeaseResponse(
    [property: Id(0)] LeaseOutcome Outcome,
    [property: Id(1)] CapacityAmount Granted,
    [property: Id(2)] CapacityRefusal Refusal,
    [property: Id(3)] TimeSpan RetryAfter,
    [property: Id(4)] bool GiveBack);
