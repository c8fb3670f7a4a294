using Gateway.Grains.Abstractions.Routing;
using Gateway.Grains.Tenants;

namespace Gateway.Grains.Routing;

// The ledger's grants: what a pool that is short gets, all of its need or nothing, plus a share of what stays free.
internal sealed partial class CapacityLedger
{
    /// <summary>What is free of each kind (unlimited kinds: as good as endless).</summary>
    private CapacityAmount Free(DateTimeOffset now) => new(
        _limits.MaxConcurrent is { } maxConcurrent ? (int)Math.Max(maxConcurrent - _leases.SlotsLeased, 0) : int.MaxValue,
        _requests is null ? long.MaxValue : _requests.Available(now) - _leases.RequestsLeased,
        _tokens is null ? long.MaxValue : _tokens.Available(now) - _leases.TokensLeased);

    private LeaseResponse Grant(CapacityLeases.Lease lease, LeaseRequest request, DateTimeOffset now)
    {
        var need = request.Need;
        var want = request.Want;

        // Heads that wait elsewhere and come first keep their claim on what is free; while any wait, a grant is the
        // need of one head, no more, so that one silo does not hold what the next head elsewhere is due.
        var claimed = ClaimedBefore(lease, out var othersWait);
        var leases = othersWait ? 0 : _leases.Count;
        var refusal = CapacityRefusal.None;
        var retryAfter = TimeSpan.Zero;
        int slots = 0;
        long requests = 0, tokens = 0;

        if (need.Slots > 0 && _limits.MaxConcurrent is { } maxConcurrent)
        {
            var free = maxConcurrent - _leases.SlotsLeased - claimed.Slots;
            if (maxConcurrent <= 0)
            {
                Refuse(CapacityRefusal.TooLarge, options.BusyRetryAfter);
            }
            else if (free < need.Slots)
            {
                // Slots come back when requests finish, which nothing predicts: a short fixed wait.
                Refuse(CapacityRefusal.Concurrency, options.BusyRetryAfter);
                _leases.MarkGiveBack(lease, l => l.QueueHead is null && l.Held.Slots > l.InFlight);
            }
            else
            {
                slots = (int)Size(need.Slots, want.Slots, free, leases);
            }
        }

        if (need.Requests > 0 && _limits.RequestsPerMinute is not null)
        {
            requests = FromBucket(_requests, need.Requests, want.Requests, _leases.RequestsLeased + claimed.Requests, lease.Held.Requests, CapacityRefusal.Requests, l => l.QueueHead is null && l.Held.Requests > 0);
        }

        if (need.Tokens > 0 && _limits.TokensPerMinute is not null)
        {
            tokens = FromBucket(_tokens, need.Tokens, want.Tokens, _leases.TokensLeased + claimed.Tokens, lease.Held.Tokens, CapacityRefusal.Tokens, l => l.QueueHead is null && l.Held.Tokens > 0);
        }

        if (refusal != CapacityRefusal.None)
        {
            return new LeaseResponse(LeaseOutcome.Refused, CapacityAmount.None, refusal, retryAfter, lease.TakeGiveBack());
        }

        // A pool being granted more is short itself: asking it to give back now would only make it ask again.
        lease.GiveBack = false;
        var granted = new CapacityAmount(slots, requests, tokens);
        _leases.SetHeld(lease, new CapacityAmount(lease.Held.Slots + slots, lease.Held.Requests + requests, lease.Held.Tokens + tokens));
        return new LeaseResponse(LeaseOutcome.Granted, granted, CapacityRefusal.None, TimeSpan.Zero, false);

        long FromBucket(TokenBucket? bucket, long needed, long wanted, long leased, long leasedHere, CapacityRefusal kind, Func<CapacityLeases.Lease, bool> holdsSpare)
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
                _leases.MarkGiveBack(lease, holdsSpare);
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
    /// With <paramref name="leases"/> zero (other silos' queues wait) only the need: one head at a time, in start-tag
    /// order across silos.
    /// </summary>
    private static long Size(long need, long want, long free, int leases)
    {
        if (leases == 0)
        {
            return need;
        }

        var wanted = Math.Min(Math.Max(need, want), free);
        return wanted + (free - wanted) / (2L * leases);
    }
}
