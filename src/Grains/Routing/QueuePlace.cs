namespace Gateway.Grains.Routing;

/// <summary>
/// Where a request stood in a deployment's fair queue when it left it for capacity: the deployment and its start tag in
/// that queue's virtual time. Carried to the next attempt when the deployment failed, so that waiting again does not
/// send the request to the back (from <see cref="CapacityTicket.Place"/> to the next wait in <see cref="DeploymentCapacity"/>).
/// </summary>
public readonly record struct QueuePlace(string DeploymentId, long StartTag);
