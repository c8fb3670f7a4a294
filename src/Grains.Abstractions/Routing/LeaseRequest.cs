namespace Gateway.Grains.Abstractions.Routing;

/// <summary>
/// A silo's pool reporting its lease of one deployment's capacity and, when it runs short, asking for more.
/// Every call carries the whole state of the lease (what the pool holds now, what it consumed in total), not changes,
/// so a lost or timed-out call loses nothing: the next call restates everything, and calls are applied in
/// <see cref="Sequence"/> order only.
/// </summary>
/// <param name="LeaseId">The pool's lease, unique per silo incarnation and registration.</param>
/// <param name="Silo">The silo the pool runs on, for the operator report.</param>
/// <param name="Sequence">1 for the first call of a lease, then one more per call.</param>
/// <param name="Limits">The deployment's limits as the pool's configuration has them; the grain adopts changes.</param>
/// <param name="Held">
/// What the pool holds at the moment of the call: slots (spare and in use), request permits not yet used, tokens
/// (spare and reserved by running requests). Spare given back is no longer counted here.
/// </param>
/// <param name="InFlight">Requests running on the silo under this lease.</param>
/// <param name="RequestsUsed">Requests started under this lease in total (cancelled ones, which sent nothing, excluded).</param>
/// <param name="TokensUsed">Tokens actually used by finished requests of this lease in total.</param>
/// <param name="Need">The least that helps: the shortfall of the first waiting request. None for a plain report.</param>
/// <param name="Want">The shortfall of all requests waiting on the silo; the grant may add spare on top.</param>
/// <param name="QueueHead">
/// The virtual start tag of the next request to leave the silo's fair queue (its tenant's counter); null when nothing
/// waits there. Across silos, freed capacity goes to the earliest head.
/// </param>
/// <param name="VirtualTime">The silo queue's virtual time, which the grain's (the cluster's) follows upward.</param>
[GenerateSerializer, Immutable, Alias("gw.LeaseRequest")]
public sealed record LeaseRequest(
    [property: Id(0)] string LeaseId,
    [property: Id(1)] string Silo,
    [property: Id(2)] long Sequence,
    [property: Id(3)] DeploymentLimits Limits,
    [property: Id(4)] CapacityAmount Held,
    [property: Id(5)] int InFlight,
    [property: Id(6)] long RequestsUsed,
    [property: Id(7)] long TokensUsed,
    [property: Id(8)] CapacityAmount Need,
    [property: Id(9)] CapacityAmount Want,
    [property: Id(10)] long? QueueHead = null,
    [property: Id(11)] long VirtualTime = 0);
