using Orleans.Concurrency;

namespace Gateway.Grains.Abstractions.Routing;

/// <summary>
/// Owns one deployment's capacity (requests and tokens per minute, concurrency) and leases it in blocks to one pool
/// per silo, so requests draw on their silo's pool without a grain call each, and the sum of all leases never
/// exceeds the limits. Keyed by deployment id (<c>gpt-4.1#0</c>). Pools call it only when short, to renew, and to
/// give back spare.
/// </summary>
[Alias("gw.IDeploymentCapacityGrain")]
public interface IDeploymentCapacityGrain : IGrainWithStringKey
{
    /// <summary>
    /// Takes a pool's report of its lease, adopts the limits it carries when they changed, and grants what the pool
    /// needs (with spare on top when capacity allows) or refuses with a computed retry-after. A report with no need
    /// renews the lease and settles usage and give-backs. Short bound: a pool waiting on a grain on a dead silo
    /// should refuse its requests, not hold them for Orleans' default 30 s.
    /// </summary>
    [Alias("LeaseAsync"), ResponseTimeout("00:00:05")]
    Task<LeaseResponse> LeaseAsync(LeaseRequest request);

    /// <summary>
    /// A pool with requests in its fair queue waits here (a long poll, at most about a renew interval) to hear when it
    /// should call <see cref="LeaseAsync"/>: capacity freed elsewhere is due to its queue's head, or another silo's queue
    /// now has an earlier head. True when it should call; false when the wait ran out. Carries no report, so it may run
    /// beside the pool's one lease call; interleaves with the grain's other calls.
    /// </summary>
    [Alias("WaitForTurnAsync"), AlwaysInterleave, ResponseTimeout("00:00:05")]
    Task<bool> WaitForTurnAsync(string leaseId);

    /// <summary>The deployment's capacity in use and leased, cluster-wide and per silo.</summary>
    [Alias("GetReportAsync")]
    Task<DeploymentCapacityReport> GetReportAsync();
}
