namespace Gateway.Grains.Abstractions.Routing;

/// <summary>One silo's lease of a deployment's capacity, as its pool last reported it.</summary>
/// <param name="Silo">The silo holding the lease.</param>
/// <param name="LeaseId">The lease.</param>
/// <param name="InFlight">Requests running on that silo at its last report.</param>
/// <param name="Held">Slots, request permits and tokens the lease holds (spare and in use).</param>
/// <param name="LastSeen">When the pool last called; the lease expires a lease time-to-live later.</param>
[GenerateSerializer, Immutable, Alias("gw.LeaseReport")]
public sealed record LeaseReport(
    [property: Id(0)] string Silo,
    [property: Id(1)] string LeaseId,
    [property: Id(2)] int InFlight,
    [property: Id(3)] CapacityAmount Held,
    [property: Id(4)] DateTimeOffset LastSeen);
