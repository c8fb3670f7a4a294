namespace Gateway.Grains.Routing;

/// <summary>
/// A deployment's load as this silo sees it, for balancing between deployments and for /admin. A struct: routing may
/// ask for it on every request.
/// </summary>
/// <param name="InFlight">Requests running on this silo on the deployment (unlimited deployments included).</param>
/// <param name="SpareSlots">Concurrency slots this silo holds and does not use.</param>
/// <param name="LooksFull">The grain refused this silo lately and the silo's spare is gone, or requests wait in the queue: a new request would wait or be refused.</param>
/// <param name="Queued">Requests waiting in the deployment's fair queue on this silo.</param>
public readonly record struct DeploymentLoad(int InFlight, int SpareSlots, bool LooksFull, int Queued = 0);
