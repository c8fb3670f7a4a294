namespace Gateway.Grains.Routing.Scheduling;

/// <summary>
/// One deployment's weighted fair queue: requests waiting for its capacity leave in start-time fair queuing order, with
/// tenants as flows, their <c>FairShareWeight</c> as weights and tokens as cost, the Virtual Token Counter of Sheng et
/// al., "Fairness in Serving Large Language Models" (OSDI 2024). Pure bookkeeping: timestamps of the given clock are
/// passed in, nothing is awaited and nothing is locked (the caller's lock guards every call).
/// </summary>
/// <remarks>
/// <para>Each tenant has a counter: the virtual time it has been served up to, in tokens divided by its weight. The next
/// request to leave is the head of the waiting tenant with the lowest counter (ties to the tenant that began to wait last),
/// and leaving adds its cost to that counter. So while tenants wait, each gets capacity in proportion to its weight,
/// counted in tokens: a tenant sending huge requests gets fewer of them, not more than its share. The charge at dispatch
/// is the expected cost; <see cref="Complete"/> replaces it by the actual usage.</para>
/// <para>The virtual time is the counter at which the last request left. A tenant that starts waiting is lifted to it:
/// no credit is banked while away. A tenant served ahead of the virtual time keeps its counter while idle (a debt), until
/// the virtual time passes it; only then is it forgotten, so memory holds the tenants that wait, run, or owe. When nothing
/// waits or runs at all, every counter is forgotten and the virtual time starts again from zero.</para>
/// <para>Work-conserving: whenever anything waits, <see cref="Peek"/> names a request; the queue never holds one back
/// for fairness. Bounded: a tenant's and the deployment's waiting requests are capped, and each request has a deadline
/// (<see cref="FairQueueOptions.QueueTimeout"/> after it joined), reached in the order requests joined.</para>
/// <para>Every operation is O(log n) in the number of waiting tenants (a binary heap that knows each tenant's place) or
/// O(1); a waiting request is linked into its tenant's list and the list of all by the links of its own entry.</para>
/// <para>A request whose attempt failed after it left the queue may be put back once (<see cref="Requeue"/>): it keeps its
/// place, ahead of every request that arrived after it, and its tenant is charged again when it leaves.</para>
/// <para>In five files: this one is the policy; <c>FairQueue.Flow.cs</c> a tenant's record and when it is forgotten,
/// <c>FairQueue.FlowHeap.cs</c> the heap of tenants by counter, <c>FairQueue.Links.cs</c> the lists of waiting requests,
/// <c>FairQueue.Requeue.cs</c> the requests put back after a failed attempt.</para>
/// </remarks>
internal sealed partial class FairQueue
{
    /// <summary>
    /// Virtual time per token at weight 1: the least common multiple of 1 to 8, so that a charge is exact at the tiers'
    /// default weights (8, 4, 2, 1) and any weight up to 8; with at most a million tokens per request the counters of a
    /// busy period stay far from overflow, and they start again from zero whenever the queue is idle.
    /// </summary>
    internal const long UnitsPerToken = 840;

    private readonly FairQueueOptions _options;
    private readonly TimeProvider _time;
    private readonly long _timeout;
    private readonly bool _fifo;
    private readonly Dictionary<string, Flow> _flows = new(StringComparer.Ordinal);

    // Tenants with requests waiting, by counter: the lowest is served next.
    private readonly FlowHeap _waiting = new();

    // Tenants with nothing waiting or running whose counter is ahead of the virtual time: forgotten when it passes them.
    private readonly FlowHeap _owing = new();

    private FairQueueEntry? _oldest;
    private FairQueueEntry? _newest;
    private long _virtualTime;
    private long _joins;

    public FairQueue(FairQueueOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _timeout = (long)((Int128)options.QueueTimeout.Ticks * time.TimestampFrequency / TimeSpan.TicksPerSecond);
        _fifo = options.Policy == SchedulingPolicy.Fifo;
    }

    /// <summary>Requests waiting.</summary>
    public int Count { get; private set; }

    /// <summary>Requests dispatched from the queue and not yet completed.</summary>
    public int InFlight { get; private set; }

    /// <summary>The counter at which the last request left the queue.</summary>
    public long VirtualTime => _virtualTime;

    /// <summary>Tenants the queue remembers: waiting, running, or owing.</summary>
    public int Tenants => _flows.Count;

    /// <summary>The deadline of the oldest waiting request: when <see cref="TakeExpired"/> next has something to do.</summary>
    public long? NextDeadline => FirstDue?.Deadline;

    /// <summary>Requests the tenant has waiting.</summary>
    public int QueuedBy(string tenant) => _flows.TryGetValue(tenant, out var flow) ? flow.Queued : 0;

    /// <summary>The tenant's counter (virtual time served up to), or null when the queue does not remember the tenant.</summary>
    public long? CounterOf(string tenant) => _flows.TryGetValue(tenant, out var flow) ? flow.Counter : null;

    /// <summary>
    /// Puts a new request at the end of its tenant's waiting requests, or refuses it when its tenant's or the deployment's
    /// bound is reached. A tenant that had nothing waiting starts at the virtual time, or at its own counter if ahead.
    /// </summary>
    public FairQueueResult Enqueue(FairQueueEntry entry, long now)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.State != FairQueueEntryState.New)
        {
            throw new InvalidOperationException($"A request {entry.State} cannot be queued again.");
        }

        _flows.TryGetValue(entry.Tenant, out var flow);
        if (flow is not null && flow.Queued >= _options.MaxQueuedPerTenant)
        {
            return new FairQueueResult(FairQueueOutcome.TenantFull, Remaining(now, flow.Head!.Deadline));
        }

        if (Count >= _options.MaxQueuedPerDeployment)
        {
            return new FairQueueResult(FairQueueOutcome.DeploymentFull, Remaining(now, NextDeadline!.Value));
        }

        if (flow is null)
        {
            flow = new Flow(entry.Tenant) { Counter = _virtualTime };
            _flows.Add(entry.Tenant, flow);
        }

        flow.Weight = entry.Weight;
        if (flow.Queued == 0)
        {
            if (flow.InFlight == 0 && flow.HeapIndex >= 0)
            {
                _owing.Remove(flow);
            }

            flow.Counter = Math.Max(flow.Counter, _virtualTime);
            flow.Joined = ++_joins;
            _waiting.Add(flow);
        }

        entry.Flow = flow;
        entry.State = FairQueueEntryState.Queued;
        entry.EnqueuedAt = now;
        entry.Deadline = now + _timeout;
        Link(entry, flow);
        return new FairQueueResult(FairQueueOutcome.Queued, TimeSpan.Zero);
    }

    /// <summary>The request to leave next, still waiting (a request put back first); null when none waits.</summary>
    public FairQueueEntry? Peek() => _requeuedFirst ?? (_fifo ? _oldest : _waiting.Min?.Head);

    /// <summary>
    /// The start tag of the request to leave next (the tag a request put back kept, else its tenant's counter); null when
    /// none waits.
    /// </summary>
    public long? HeadStart => _requeuedFirst?.StartTag ?? (_fifo ? _oldest?.Flow?.Counter : _waiting.Min?.Counter);

    /// <summary>
    /// Lifts the virtual time to <paramref name="virtualTime"/> when behind (the deployment's, across silos), and with it
    /// the counters of waiting tenants that are behind it: they began to wait at a virtual time this silo had not heard
    /// was past, and are not owed what the cluster served meanwhile. O(1) unless some waiting tenant is behind.
    /// </summary>
    public void AdvanceTo(long virtualTime)
    {
        if (virtualTime <= _virtualTime)
        {
            return;
        }

        _virtualTime = virtualTime;
        if (_waiting.Min is { } earliest && earliest.Counter < virtualTime)
        {
            _waiting.LiftTo(virtualTime);
        }
    }

    /// <summary>
    /// Takes the request <see cref="Peek"/> names out of the queue and charges its tenant its cost. Under
    /// <see cref="SchedulingPolicy.Fifo"/> that is the oldest request of all, which is also the head of its tenant's
    /// requests (each tenant's are in arrival order), so the counters are kept alike and only the choice differs. A request
    /// put back (<see cref="Requeue"/>) leaves before either.
    /// </summary>
    public FairQueueEntry Take()
    {
        if (_requeuedFirst is { } requeued)
        {
            return TakeRequeued(requeued);
        }

        var flow = (_fifo ? _oldest?.Flow : _waiting.Min) ?? throw new InvalidOperationException("No request is waiting.");
        var entry = flow.Head!;
        Unlink(entry);
        _virtualTime = Math.Max(_virtualTime, flow.Counter);
        entry.StartTag = flow.Counter;
        entry.ChargedUnits = Units(entry.Cost, flow.Weight);
        flow.Counter += entry.ChargedUnits;
        flow.InFlight++;
        InFlight++;
        entry.State = FairQueueEntryState.Dispatched;
        if (flow.Queued == 0)
        {
            _waiting.Remove(flow);
        }
        else
        {
            _waiting.Update(flow);
        }

        while (_owing.Min is { } owing && owing.Counter <= _virtualTime)
        {
            _owing.Remove(owing);
            _flows.Remove(owing.Tenant);
        }

        return entry;
    }

    /// <summary>
    /// A dispatched request finished having used <paramref name="actualCost"/> tokens: its tenant's counter is corrected by
    /// the difference from what it was charged. Does nothing for a request not dispatched or already completed.
    /// </summary>
    public void Complete(FairQueueEntry entry, long actualCost)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentOutOfRangeException.ThrowIfNegative(actualCost);
        if (entry.State != FairQueueEntryState.Dispatched)
        {
            return;
        }

        var flow = entry.Flow!;
        entry.Flow = null;
        entry.State = FairQueueEntryState.Completed;
        flow.Counter += Units(actualCost, flow.Weight) - entry.ChargedUnits;
        flow.InFlight--;
        InFlight--;
        if (flow.Queued > 0)
        {
            _waiting.Update(flow);
        }
        else
        {
            Settle(flow);
        }
    }

    /// <summary>Takes a waiting request out of the queue at once (its client went away); false when it was not waiting.</summary>
    public bool Remove(FairQueueEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.State != FairQueueEntryState.Queued)
        {
            return false;
        }

        Leave(entry, FairQueueEntryState.Cancelled);
        return true;
    }

    /// <summary>The waiting request whose deadline comes first, when it has come, taken out of the queue; null otherwise.</summary>
    public FairQueueEntry? TakeExpired(long now)
    {
        if (FirstDue is not { } oldest || now < oldest.Deadline)
        {
            return null;
        }

        Leave(oldest, FairQueueEntryState.Expired);
        return oldest;
    }

    /// <summary>The time from <paramref name="now"/> until <paramref name="timestamp"/> of the queue's clock, at least a tick.</summary>
    public TimeSpan Remaining(long now, long timestamp)
    {
        var remaining = _time.GetElapsedTime(now, timestamp);
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.FromTicks(1);
    }

    private static long Units(long tokens, int weight) => Math.Max(tokens, 1) * UnitsPerToken / weight;

    private void Leave(FairQueueEntry entry, FairQueueEntryState state)
    {
        var flow = entry.Flow!;
        var requeued = entry.IsRequeued;
        if (requeued)
        {
            UnlinkRequeued(entry);
        }
        else
        {
            Unlink(entry);
        }

        entry.Flow = null;
        entry.State = state;
        if (flow.Queued == 0)
        {
            if (!requeued)
            {
                _waiting.Remove(flow);
            }

            Settle(flow);
        }
    }
}
