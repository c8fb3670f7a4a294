namespace Gateway.Grains.Routing;

/// <summary>
/// A deployment's load as this silo sees it, for balancing between deployments and for /admin. A struct: routing may
/// ask for it on every request.
/// </summary>
/// <param name="InFlight">Requests running on this silo on the deployment (unlimited deployments included).</param>
/// <param name="SpareSlots">Concurrency slots this silo holds and does not use.</param>
/// <param name="LooksFull">The grain refused this silo lately and the silo's spare is gone: a request would likely be refused.</param>
public readonly record struct DeploymentLoad(int InFlight, int SpareSlots, bool LooksFull);
