namespace Gateway.Grains.Abstractions.Routing;

/// <summary>The capacity grain's answer to a <see cref="LeaseRequest"/>.</summary>
/// <param name="Outcome">Whether the call was applied, and whether the need was met.</param>
/// <param name="Granted">Capacity added to the pool's lease; at least the need when granted.</param>
/// <param name="Refusal">When refused: the limit that is reached.</param>
/// <param name="RetryAfter">When refused: how long until the capacity is expected, always above zero.</param>
/// <param name="GiveBack">Other silos are short: the pool should give back its spare now rather than when idle.</param>
/// <param name="VirtualTime">The deployment's virtual time across the cluster: the silo's queue is lifted to it.</param>
/// <param name="QueueBar">
/// The earliest head among the other silos' fair queues (null when none waits): the silo serves its own waiting requests
/// only while their start tag is not past it, and gives the rest of its spare back.
/// </param>
[GenerateSerializer, Immutable, Alias("gw.LeaseResponse")]
public sealed record LeaseResponse(
    [property: Id(0)] LeaseOutcome Outcome,
    [property: Id(1)] CapacityAmount Granted,
    [property: Id(2)] CapacityRefusal Refusal,
    [property: Id(3)] TimeSpan RetryAfter,
    [property: Id(4)] bool GiveBack,
    [property: Id(5)] long VirtualTime = 0,
    [property: Id(6)] long? QueueBar = null);
