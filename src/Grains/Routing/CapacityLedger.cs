using Gateway.Grains.Abstractions.Routing;
using Gateway.Grains.Tenants;

namespace Gateway.Grains.Routing;

/// <summary>
/// The decisions of <see cref="DeploymentCapacityGrain"/>: one deployment's capacity and the leases silos hold on it.
/// Pure: time is passed in, nothing is awaited.
/// </summary>
/// <remarks>
/// <para><b>What is exact.</b> Concurrency: slots are only ever held by leases, a grant never takes the leased total
/// above <see cref="DeploymentLimits.MaxConcurrent"/>, and a pool stops using a slot before it reports it given back, so at
/// no instant do the requests running cluster-wide exceed the limit. Per-minute limits: each is one
/// <see cref="TokenBucket"/> whose level still counts what is leased out and not yet reported used, so a permit or token
/// waiting in a silo's pool is, for the bucket, still in the bucket: refill stops at the capacity with it counted, and
/// what may be granted is the level minus everything leased. The requests (tokens) started in any window of length
/// <c>t</c> therefore never exceed <c>capacity × (1 + t / 1 minute)</c>, the bound of a single bucket deciding every
/// request itself; usage reported late only makes the bucket more conservative meanwhile.</para>
/// <para><b>Grants.</b> A pool asks only when short, for what its first waiting request lacks (the need) and what all its
/// waiting requests lack (the want). The grant is all of the need or nothing; on top it adds a share of what stays free:
/// <c>(free − want) / (2 × leases)</c>. When capacity is plentiful a pool gets a large block and asks rarely; when it is
/// scarce the share falls to zero and a pool gets exactly what it needs, so one silo cannot hoard what another is about
/// to ask for.</para>
/// <para><b>Give-backs.</b> A refusal while other leases hold spare of the exhausted kind marks them; each learns at its
/// next call (its renewal, at most a renew interval away) and gives its spare back at once. Pools also give spare back on
/// their own after a short idle time.</para>
/// <para><b>Expiry.</b> A lease not heard from for <see cref="DeploymentCapacityOptions.LeaseTimeToLive"/> is dropped
/// at the next call to the grain: its slots are free again, and its permits and tokens count as used (the silo may have
/// used them before it died), so the buckets stay exact and get them back by refill. Until then what the dead silo held
/// is unusable: the limits are under-used for at most the time-to-live, never exceeded. A silo cut off from the grain
/// but alive stops drawing on its spare after half the time-to-live; only the requests it was already running can
/// outlive its lease, and the grain counts them again when the silo re-registers.</para>
/// <para><b>One fair queue across silos.</b> While a deployment has room, no pool waits and none of this applies. When
/// requests wait, each pool reports with every call the start tag of its queue's head (its tenant's counter in the
/// virtual time of start-time fair queuing) and what that head lacks, and takes back the cluster's virtual time (the
/// highest any silo reached; a silo's queue is lifted to it, so a tenant starts at the cluster's time wherever it
/// arrives) and the bar: the earliest head among the other silos. A pool serves its own queue only while its head is
/// not past the bar, and gives the rest of its spare back; here, what is free is granted to the earliest heads first
/// (what a later head or a pool with no queue asks for is refused while an earlier head's need is not met). A pool with
/// waiting requests holds a long poll (<see cref="IsDue"/>, <see cref="Due"/>) that completes when capacity is due to its
/// head or the bar dropped below its head, so capacity moves between silos within a round trip, not a renewal. So
/// requests leave in one start-time order cluster-wide, up to what a pool learns a round trip late; a tenant's requests
/// all wait on one silo (its upstream grain's), so its counter is the cluster's. A pool that holds spare but has no
/// queue is asked to give it back at its next renewal, as before.</para>
/// <para><b>Reports are states, not changes.</b> Every call restates what the lease holds and its total usage, and
/// calls are applied in sequence order only (an older call arriving late is ignored), so a lost call or a lost answer
/// loses nothing: a grant whose answer never arrived is simply not in the next report, and disappears.</para>
/// <para>In three files: this one applies reports, expiry and limits; <c>CapacityLedger.Grants.cs</c> decides grants;
/// <c>CapacityLedger.ClusterQueue.cs</c> orders the queue heads across silos.</para>
/// </remarks>
internal sealed partial class CapacityLedger(DeploymentCapacityOptions options)
{
    private static readonly LeaseResponse Renewed = new(LeaseOutcome.Granted, CapacityAmount.None, CapacityRefusal.None, TimeSpan.Zero, false);
    private static readonly LeaseResponse RenewedGiveBack = Renewed with { GiveBack = true };
    private static readonly LeaseResponse ExpiredLease = new(LeaseOutcome.Expired, CapacityAmount.None, CapacityRefusal.None, TimeSpan.Zero, false);
    private static readonly LeaseResponse StaleCall = new(LeaseOutcome.Stale, CapacityAmount.None, CapacityRefusal.None, TimeSpan.Zero, false);

    private readonly CapacityLeases _leases = new();
    private DeploymentLimits _limits = DeploymentLimits.Unlimited;
    private TokenBucket? _requests;
    private TokenBucket? _tokens;
    private long _virtualTime;

    public DeploymentLimits Limits => _limits;

    public int LeaseCount => _leases.Count;

    /// <summary>Applies a pool's report and answers its need; <paramref name="expired"/> counts leases dropped first.</summary>
    public LeaseResponse Lease(LeaseRequest request, DateTimeOffset now, out int expired)
    {
        expired = Expire(now);
        if (!_leases.TryGet(request.LeaseId, out var lease))
        {
            // Only a first call registers: a later one means this activation forgot the lease (it expired, or the grain
            // moved), and its spare may have been granted to others since, so the pool must drop it and register anew.
            if (request.Sequence != 1)
            {
                return ExpiredLease;
            }

            lease = _leases.Add(request.LeaseId, request.Silo);
        }
        else if (request.Sequence <= lease.Sequence)
        {
            // Its report and its limits are older than what was applied already.
            return StaleCall;
        }

        Adopt(request.Limits, now);
        Apply(lease, request, now);
        var response = request.Need.IsNone ? lease.TakeGiveBack() ? RenewedGiveBack : Renewed : Grant(lease, request, now);
        var bar = BarFor(lease);
        lease.BarSent = bar;
        return _virtualTime == 0 && bar is null ? response : response with { VirtualTime = _virtualTime, QueueBar = bar };
    }

    /// <summary>The deployment's capacity for operators; drops expired leases first.</summary>
    public DeploymentCapacityReport Report(string deploymentId, DateTimeOffset now)
    {
        Expire(now);
        var leases = _leases.All
            .Select(l => new LeaseReport(l.Silo, l.Id, l.InFlight, l.Held, l.LastSeen))
            .OrderBy(l => l.Silo, StringComparer.Ordinal)
            .ToList();
        return new DeploymentCapacityReport(
            deploymentId,
            _limits,
            leases.Sum(l => l.InFlight),
            (int)_leases.SlotsLeased,
            _requests?.Available(now),
            _leases.RequestsLeased,
            _tokens?.Available(now),
            _leases.TokensLeased,
            leases,
            now);
    }

    /// <summary>Drops the leases not heard from within the time-to-live; returns how many.</summary>
    public int Expire(DateTimeOffset now)
    {
        var dead = _leases.Silent(now, options.LeaseTimeToLive);
        foreach (var lease in dead ?? [])
        {
            // Whatever the silo held may have been used before it went silent: count it as used, so the buckets can
            // only err on the side of granting less; refill brings it back within a minute.
            _requests?.Adjust(lease.Held.Requests, now);
            _tokens?.Adjust(lease.Held.Tokens, now);
            _leases.Remove(lease);
        }

        return dead?.Count ?? 0;
    }

    private void Apply(CapacityLeases.Lease lease, LeaseRequest request, DateTimeOffset now)
    {
        lease.Sequence = request.Sequence;
        lease.LastSeen = now;
        lease.InFlight = request.InFlight;

        // Usage moves capacity from "leased" to "gone" in the bucket: what is free (level − leased) does not change,
        // except by a request that used more tokens than it reserved, which the bucket absorbs below zero.
        _requests?.Adjust(request.RequestsUsed - lease.RequestsUsed, now);
        _tokens?.Adjust(request.TokensUsed - lease.TokensUsed, now);
        lease.RequestsUsed = request.RequestsUsed;
        lease.TokensUsed = request.TokensUsed;
        _leases.SetHeld(lease, request.Held);

        // A head behind the cluster's virtual time began to wait where the silo had not heard of it: it is not owed
        // what was served meanwhile (the pool lifts it too, from this answer).
        lease.QueueHead = request.QueueHead is { } head ? Math.Max(head, _virtualTime) : null;
        lease.QueueNeed = request.QueueHead is null ? CapacityAmount.None : request.Need;
        _virtualTime = Math.Max(_virtualTime, request.VirtualTime);
    }

    /// <summary>Takes a (changed) limit into use: buckets keep how full they are; anything now over the limit is asked back.</summary>
    private void Adopt(DeploymentLimits limits, DateTimeOffset now)
    {
        if (limits == _limits)
        {
            return;
        }

        _limits = limits;
        _requests = Rebucket(_requests, limits.RequestsPerMinute, now);
        _tokens = Rebucket(_tokens, limits.TokensPerMinute, now);
        if (_leases.SlotsLeased > (limits.MaxConcurrent ?? long.MaxValue)
            || _leases.RequestsLeased > (_requests?.Available(now) ?? long.MaxValue)
            || _leases.TokensLeased > (_tokens?.Available(now) ?? long.MaxValue))
        {
            _leases.MarkAllGiveBack();
        }

        static TokenBucket? Rebucket(TokenBucket? bucket, long? perMinute, DateTimeOffset now)
        {
            if (perMinute is not { } capacity || capacity <= 0)
            {
                return null;
            }

            if (bucket is null)
            {
                return new TokenBucket(capacity, now);
            }

            bucket.Resize(capacity, now);
            return bucket;
        }
    }
}
