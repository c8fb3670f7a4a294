using Gateway.Grains.Abstractions.Routing;

namespace Gateway.Grains.Routing;

// The ledger's side of the one fair queue across silos: the order of the pools' queue heads, the bar each pool is told,
// the capacity earlier heads claim, and which pools' long polls are due.
internal sealed partial class CapacityLedger
{
    /// <summary>Whether the lease's pool should call now: capacity is due to its queue's head, or the bar dropped below it.</summary>
    public bool IsDue(string leaseId, DateTimeOffset now)
    {
        if (!_leases.TryGet(leaseId, out var lease) || lease.QueueHead is null)
        {
            return false;
        }

        List<string> due = [];
        Due(due, now);
        return due.Contains(leaseId);
    }

    /// <summary>
    /// Adds to <paramref name="due"/> the leases whose pools should call now: those whose head's need fits what is free
    /// once the needs of earlier heads are set aside, and those told a bar higher than the earliest other head now is.
    /// </summary>
    public void Due(List<string> due, DateTimeOffset now)
    {
        List<CapacityLeases.Lease>? waiting = null;
        foreach (var lease in _leases.All)
        {
            if (lease.QueueHead is not null)
            {
                (waiting ??= []).Add(lease);
            }
        }

        if (waiting is null)
        {
            return;
        }

        waiting.Sort(static (a, b) => Before(a, b) ? -1 : Before(b, a) ? 1 : 0);
        var free = Free(now);
        foreach (var lease in waiting)
        {
            var need = lease.QueueNeed;
            if (!need.IsNone && need.Slots <= free.Slots && need.Requests <= free.Requests && need.Tokens <= free.Tokens
                || BarFor(lease) < (lease.BarSent ?? long.MaxValue))
            {
                due.Add(lease.Id);
            }

            free = new CapacityAmount(free.Slots - need.Slots, free.Requests - need.Requests, free.Tokens - need.Tokens);
        }
    }

    /// <summary>The earliest head among the other leases' queues; null when none waits.</summary>
    private long? BarFor(CapacityLeases.Lease lease)
    {
        long? bar = null;
        foreach (var other in _leases.All)
        {
            if (other != lease && other.QueueHead is { } head && (bar is null || head < bar))
            {
                bar = head;
            }
        }

        return bar;
    }

    /// <summary>
    /// What the heads of the other queues that come before <paramref name="lease"/>'s lack, all of them when it has no
    /// queue (a request that missed its silo's spare does not pass those waiting elsewhere); and whether any other waits.
    /// </summary>
    private CapacityAmount ClaimedBefore(CapacityLeases.Lease lease, out bool othersWait)
    {
        othersWait = false;
        int slots = 0;
        long requests = 0, tokens = 0;
        foreach (var other in _leases.All)
        {
            if (other == lease || other.QueueHead is null)
            {
                continue;
            }

            othersWait = true;
            if (lease.QueueHead is null || Before(other, lease))
            {
                slots += other.QueueNeed.Slots;
                requests += other.QueueNeed.Requests;
                tokens += other.QueueNeed.Tokens;
            }
        }

        return new CapacityAmount(slots, requests, tokens);
    }

    /// <summary>Start-tag order of waiting leases' heads, ties by lease id so that every call sees one order.</summary>
    private static bool Before(CapacityLeases.Lease a, CapacityLeases.Lease b) =>
        a.QueueHead < b.QueueHead || a.QueueHead == b.QueueHead && string.CompareOrdinal(a.Id, b.Id) < 0;
}
