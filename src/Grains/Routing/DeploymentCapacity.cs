// TEMPORARY: replaced by the capacity branch before landing.
using Gateway.Grains.Abstractions.Routing;
namespace Gateway.Grains.Routing;
public sealed class DeploymentCapacity
{
    public ValueTask<CapacityTicket> AcquireAsync(string deploymentId, DeploymentLimits limits, long tokens, CancellationToken cancellationToken) => ValueTask.FromResult(new CapacityTicket(true, TimeSpan.Zero));
}
public readonly struct CapacityTicket(bool acquired, TimeSpan retryAfter) : IDisposable
{
    public bool IsAcquired => acquired;
    public TimeSpan RetryAfter => retryAfter;
    public void Complete(long actualTokens) { }
    public void Dispose() { }
}
