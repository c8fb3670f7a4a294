namespace Gateway.Grains.Routing.Scheduling;

/// <summary>
/// One request for a <see cref="FairQueue"/>: whose it is, the tenant's weight, and its cost in tokens (prompt plus the
/// output expected). The entry is the queue's own node (its links live here), so a waiting request costs the queue no
/// allocation of its own; a caller derives from it to carry what it needs (a waiter's completion source).
/// </summary>
internal class FairQueueEntry
{
    public FairQueueEntry(string tenant, int weight, long cost)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(weight);
        ArgumentOutOfRangeException.ThrowIfNegative(cost);
        Tenant = tenant;
        Weight = weight;
        Cost = cost;
    }

    public string Tenant { get; }

    /// <summary>The tenant's share of the deployment relative to others' (its own <c>fairShareWeight</c>, else its tier's).</summary>
    public int Weight { get; }

    /// <summary>Tokens charged to the tenant when the request leaves the queue; corrected by its actual usage at completion.</summary>
    public long Cost { get; }

    public FairQueueEntryState State { get; internal set; }

    /// <summary>When it joined the queue (a timestamp of the queue's clock).</summary>
    public long EnqueuedAt { get; internal set; }

    /// <summary>When it times out if still waiting (a timestamp of the queue's clock).</summary>
    public long Deadline { get; internal set; }

    /// <summary>How long it waited, once it left the queue for capacity (set by whoever dispatches it).</summary>
    public TimeSpan Waited { get; set; }

    /// <summary>
    /// Its start tag in the virtual time of the queue it left (its tenant's counter then, or the tag it kept when put
    /// back): where it stands if its attempt fails and it is put back.
    /// </summary>
    public long StartTag { get; internal set; }

    /// <summary>Whether it was put back after a failed attempt (<see cref="FairQueue.Requeue"/>).</summary>
    internal bool IsRequeued { get; set; }

    /// <summary>Virtual time charged to the tenant at dispatch, taken back at completion in favour of the actual usage.</summary>
    internal long ChargedUnits { get; set; }

    internal FairQueue.Flow? Flow { get; set; }

    internal FairQueueEntry? FlowNext { get; set; }

    internal FairQueueEntry? FlowPrevious { get; set; }

    internal FairQueueEntry? ArrivalNext { get; set; }

    internal FairQueueEntry? ArrivalPrevious { get; set; }
}
