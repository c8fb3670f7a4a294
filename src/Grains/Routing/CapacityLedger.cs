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
/// <para><b>Reports are states, not changes.</b> Every call restates what the lease holds and its total usage, and
/// calls are applied in sequence order only (an older call arriving late is ignored), so a lost call or a lost answer
/// loses nothing: a grant whose answer never arrived is simply not in the next report, and disappears.</para>
/// </remarks>
internal sealed class CapacityLedger(DeploymentCapacityOptions options)
{
    private static readonly LeaseResponse Renewed = new(LeaseOutcome.Granted, CapacityAmount.None, CapacityRefusal.None, TimeSpan.Zero, false);
    private static readonly LeaseResponse RenewedGiveBack = Renewed with { GiveBack = true };
    private static readonly LeaseResponse ExpiredLease = new(LeaseOutcome.Expired, CapacityAmount.None, CapacityRefusal.None, TimeSpan.Zero, false);
    private static readonly LeaseResponse StaleCall = new(LeaseOutcome.Stale, CapacityAmount.None, CapacityRefusal.None, TimeSpan.Zero, false);

    private readonly Dictionary<string, LeaseState> _leases = new(StringComparer.Ordinal);
    private DeploymentLimits _limits = DeploymentLimits.Unlimited;
    private TokenBucket? _requests;
    private TokenBucket? _tokens;
    private long _slotsLeased;
    private long _requestsLeased;
    private long _tokensLeased;

    public DeploymentLimits Limits => _limits;

    public int LeaseCount => _leases.Count;

    /// <summary>Applies a pool's report and answers its need; <paramref name="expired"/> counts leases dropped first.</summary>
    public LeaseResponse Lease(LeaseRequest request, DateTimeOffset now, out int expired)
    {
        expired = Expire(now);
        if (!_leases.TryGetValue(request.LeaseId, out var lease))
        {
            // Only a first call registers: a later one means this activation forgot the lease (it expired, or the grain
            // moved), and its spare may have been granted to others since, so the pool must drop it and register anew.
            if (request.Sequence != 1)
            {
                return ExpiredLease;
            }

            lease = new LeaseState(request.LeaseId, request.Silo);
            _leases.Add(request.LeaseId, lease);
        }
        else if (request.Sequence <= lease.Sequence)
        {
            // Its report and its limits are older than what was applied already.
            return StaleCall;
        }

        Adopt(request.Limits, now);
        Apply(lease, request, now);
        if (request.Need.IsNone)
        {
            var giveBack = lease.GiveBack;
            lease.GiveBack = false;
            return giveBack ? RenewedGiveBack : Renewed;
        }

        return Grant(lease, request, now);
    }

    /// <summary>The deployment's capacity for operators; drops expired leases first.</summary>
    public DeploymentCapacityReport Report(string deploymentId, DateTimeOffset now)
    {
        Expire(now);
        var leases = _leases.Values
            .Select(l => new LeaseReport(l.Silo, l.Id, l.InFlight, l.Held, l.LastSeen))
            .OrderBy(l => l.Silo, StringComparer.Ordinal)
            .ToList();
        return new DeploymentCapacityReport(
            deploymentId,
            _limits,
            leases.Sum(l => l.InFlight),
            (int)_slotsLeased,
            _requests?.Available(now),
            _requestsLeased,
            _tokens?.Available(now),
            _tokensLeased,
            leases,
            now);
    }

    /// <summary>Drops the leases not heard from within the time-to-live; returns how many.</summary>
    public int Expire(DateTimeOffset now)
    {
        List<LeaseState>? dead = null;
        foreach (var lease in _leases.Values)
        {
            if (now - lease.LastSeen > options.LeaseTimeToLive)
            {
                (dead ??= []).Add(lease);
            }
        }

        foreach (var lease in dead ?? [])
        {
            // Whatever the silo held may have been used before it went silent: count it as used, so the buckets can
            // only err on the side of granting less; refill brings it back within a minute.
            _requests?.Adjust(lease.Held.Requests, now);
            _tokens?.Adjust(lease.Held.Tokens, now);
            SetHeld(lease, CapacityAmount.None);
            _leases.Remove(lease.Id);
        }

        return dead?.Count ?? 0;
    }

    private void Apply(LeaseState lease, LeaseRequest request, DateTimeOffset now)
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
        SetHeld(lease, request.Held);
    }

    private LeaseResponse Grant(LeaseState lease, LeaseRequest request, DateTimeOffset now)
    {
        var need = request.Need;
        var want = request.Want;
        var leases = _leases.Count;
        var refusal = CapacityRefusal.None;
        var retryAfter = TimeSpan.Zero;
        int slots = 0;
        long requests = 0, tokens = 0;

        if (need.Slots > 0 && _limits.MaxConcurrent is { } maxConcurrent)
        {
            var free = maxConcurrent - _slotsLeased;
            if (maxConcurrent <= 0)
            {
                Refuse(CapacityRefusal.TooLarge, options.BusyRetryAfter);
            }
            else if (free < need.Slots)
            {
                // Slots come back when requests finish, which nothing predicts: a short fixed wait.
                Refuse(CapacityRefusal.Concurrency, options.BusyRetryAfter);
                MarkGiveBack(lease, l => l.Held.Slots > l.InFlight);
            }
            else
            {
                slots = (int)Size(need.Slots, want.Slots, free, leases);
            }
        }

        if (need.Requests > 0 && _limits.RequestsPerMinute is not null)
        {
            requests = FromBucket(_requests, need.Requests, want.Requests, _requestsLeased, lease.Held.Requests, CapacityRefusal.Requests, l => l.Held.Requests > 0);
        }

        if (need.Tokens > 0 && _limits.TokensPerMinute is not null)
        {
            tokens = FromBucket(_tokens, need.Tokens, want.Tokens, _tokensLeased, lease.Held.Tokens, CapacityRefusal.Tokens, l => l.Held.Tokens > 0);
        }

        if (refusal != CapacityRefusal.None)
        {
            return new LeaseResponse(LeaseOutcome.Refused, CapacityAmount.None, refusal, retryAfter, TakeGiveBack(lease));
        }

        // A pool being granted more is short itself: asking it to give back now would only make it ask again.
        lease.GiveBack = false;
        var granted = new CapacityAmount(slots, requests, tokens);
        SetHeld(lease, new CapacityAmount(lease.Held.Slots + slots, lease.Held.Requests + requests, lease.Held.Tokens + tokens));
        return new LeaseResponse(LeaseOutcome.Granted, granted, CapacityRefusal.None, TimeSpan.Zero, false);

        long FromBucket(TokenBucket? bucket, long needed, long wanted, long leased, long leasedHere, CapacityRefusal kind, Func<LeaseState, bool> holdsSpare)
        {
            if (bucket is null || needed > bucket.Capacity)
            {
                // More than the whole per-minute limit (or a limit of zero): waiting never helps.
                Refuse(CapacityRefusal.TooLarge, TimeSpan.FromMinutes(1));
                return 0;
            }

            var free = bucket.Available(now) - leased;
            if (free >= needed)
            {
                return Size(needed, wanted, free, leases);
            }

            // When the bucket alone holds enough: leased − leasedHere + needed ≤ capacity is reached by refill. Beyond
            // that, other silos must give back or report their spare used; they are asked to, and that takes about
            // a renew interval, which is also the wait suggested when refill alone would take longer.
            var othersHold = leased - leasedHere > 0;
            var wait = bucket.TimeUntilAvailable(Math.Min(leased + needed, bucket.Capacity), now);
            if (othersHold)
            {
                MarkGiveBack(lease, holdsSpare);
                wait = wait == TimeSpan.Zero ? options.BusyRetryAfter : TimeSpan.FromTicks(Math.Min(wait.Ticks, options.BusyRetryAfter.Ticks));
            }

            Refuse(kind, wait);
            return 0;
        }

        void Refuse(CapacityRefusal kind, TimeSpan wait)
        {
            wait = wait > TimeSpan.Zero ? wait : options.BusyRetryAfter;
            if (refusal == CapacityRefusal.TooLarge)
            {
                return;
            }

            if (kind == CapacityRefusal.TooLarge || wait > retryAfter)
            {
                refusal = kind;
                retryAfter = wait;
            }
        }
    }

    /// <summary>
    /// The grant for one kind: what is wanted, as far as it is free, plus a share of the rest that shrinks with the
    /// number of leases and with what is free, so it is generous when capacity is plentiful and exact when scarce.
    /// </summary>
    private static long Size(long need, long want, long free, int leases)
    {
        var wanted = Math.Min(Math.Max(need, want), free);
        return wanted + (free - wanted) / (2L * Math.Max(1, leases));
    }

    private void MarkGiveBack(LeaseState asking, Func<LeaseState, bool> holdsSpare)
    {
        foreach (var other in _leases.Values)
        {
            if (other != asking && holdsSpare(other))
            {
                other.GiveBack = true;
            }
        }
    }

    private static bool TakeGiveBack(LeaseState lease)
    {
        var giveBack = lease.GiveBack;
        lease.GiveBack = false;
        return giveBack;
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
        if (_slotsLeased > (limits.MaxConcurrent ?? long.MaxValue)
            || _requestsLeased > (_requests?.Available(now) ?? long.MaxValue)
            || _tokensLeased > (_tokens?.Available(now) ?? long.MaxValue))
        {
            foreach (var lease in _leases.Values)
            {
                lease.GiveBack = true;
            }
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

    private void SetHeld(LeaseState lease, CapacityAmount held)
    {
        _slotsLeased += held.Slots - lease.Held.Slots;
        _requestsLeased += held.Requests - lease.Held.Requests;
        _tokensLeased += held.Tokens - lease.Held.Tokens;
        lease.Held = held;
    }

    private sealed class LeaseState(string id, string silo)
    {
        public string Id { get; } = id;

        public string Silo { get; } = silo;

        public long Sequence { get; set; }

        public DateTimeOffset LastSeen { get; set; }

        public int InFlight { get; set; }

        public CapacityAmount Held { get; set; } = CapacityAmount.None;

        public long RequestsUsed { get; set; }

        public long TokensUsed { get; set; }

        public bool GiveBack { get; set; }
    }
}
