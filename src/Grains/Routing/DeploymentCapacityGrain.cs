using Gateway.Catalog;
using Gateway.Grains.Abstractions.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Grains.Routing;

/// <summary>
/// Owns one deployment's capacity and leases it to the silos' <see cref="DeploymentCapacity"/> pools; the policy is
/// <see cref="CapacityLedger"/>'s. Not on the request path: a pool calls only when it runs short, to renew its lease
/// (about once a second while it holds anything) and to give spare back. Every call is one synchronous turn.
/// </summary>
/// <remarks>
/// State is in memory only, on purpose: a write per lease call would put storage on the path the leases keep short.
/// Expiry is checked at every call rather than on a timer: capacity of a dead silo only matters to a silo asking for
/// it, and that ask is a call. An idle activation (no lease alive, so no renewals) may be collected: by then its buckets
/// are full again and it forgets nothing. If the activation is lost while leases are alive (its silo dies), the next
/// one starts with full buckets and no leases; pools learn their lease is unknown at their next call (within a renew
/// interval), drop their spare and register again claiming their running requests. During that interval the
/// concurrency limit can be exceeded by what other silos were running, and up to one minute's worth of requests and
/// tokens can be granted again.
/// <para>While requests wait in silos' fair queues, those pools also hold a long poll here
/// (<see cref="WaitForTurnAsync"/>), answered when the ledger finds capacity due to their queue's head or an earlier head
/// on another silo: it interleaves with the lease calls, which stay one synchronous turn each.</para>
/// </remarks>
public sealed partial class DeploymentCapacityGrain(
    IOptions<DeploymentCapacityOptions> options,
    [FromKeyedServices(GatewayClock.Key)] TimeProvider time,
    ILogger<DeploymentCapacityGrain> logger) : Grain, IDeploymentCapacityGrain
{
    // A long poll ends after about a renew interval, and always inside the call's 5 s response timeout. Timed on the real
    // clock, not the gateway's: the bound is Orleans' response timeout, which runs on real time, and a poll that only a
    // moving gateway clock could end (a paused or fake one) would hold the activation's deactivation, and with it the
    // silo's shutdown, until the host gave up.
    private static readonly TimeSpan LongestTurn = TimeSpan.FromSeconds(4);

    private readonly CapacityLedger _ledger = new(options.Value);
    private readonly CapacityTurns _turns = new(TimeProvider.System, options.Value.RenewInterval < LongestTurn ? options.Value.RenewInterval : LongestTurn);

    public Task<LeaseResponse> LeaseAsync(LeaseRequest request)
    {
        var limits = _ledger.Limits;
        var now = time.GetUtcNow();
        var response = _ledger.Lease(request, now, out var expired);
        if (!_turns.IsEmpty)
        {
            List<string> due = [];
            _ledger.Due(due, now);
            _turns.Ring(due);
        }

        if (expired > 0)
        {
            LogExpired(logger, this.GetPrimaryKeyString(), expired);
        }

        if (limits != _ledger.Limits)
        {
            LogLimits(logger, this.GetPrimaryKeyString(), _ledger.Limits.RequestsPerMinute, _ledger.Limits.TokensPerMinute, _ledger.Limits.MaxConcurrent);
        }

        return Task.FromResult(response);
    }

    public Task<bool> WaitForTurnAsync(string leaseId) =>
        _turns.WaitAsync(leaseId, _ledger.IsDue(leaseId, time.GetUtcNow()));

    public Task<DeploymentCapacityReport> GetReportAsync() =>
        Task.FromResult(_ledger.Report(this.GetPrimaryKeyString(), time.GetUtcNow()));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deployment {Deployment}: {Count} silo leases expired unrenewed; what they held is free again (slots) or counted as used (requests, tokens)")]
    private static partial void LogExpired(ILogger logger, string deployment, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deployment {Deployment}: capacity limits now {RequestsPerMinute} requests/min, {TokensPerMinute} tokens/min, {MaxConcurrent} concurrent")]
    private static partial void LogLimits(ILogger logger, string deployment, int? requestsPerMinute, long? tokensPerMinute, int? maxConcurrent);
}
