namespace Gateway.Grains.Routing.Scheduling;

// Requests put back after a failed attempt: a request that left a queue, was sent, and whose deployment failed comes back
// (to this queue, or to the queue of the deployment it retries or falls back on) ahead of every request that arrived
// after it.
internal sealed partial class FairQueue
{
    // Requests put back, in the order they came back (which is also the order of their deadlines): served before the
    // tenants' heap, linked through their arrival links (they are in no other list).
    private FairQueueEntry? _requeuedFirst;
    private FairQueueEntry? _requeuedLast;

    /// <summary>
    /// Puts back a request whose attempt failed after it left a queue with start tag <paramref name="startTag"/> (null:
    /// it left another deployment's queue, whose virtual time is not this one's). It keeps its place: its start tag is the
    /// one it left with or the virtual time, whichever is lower, so it comes before every request that arrived after it,
    /// and it leaves before the tenants' heap (requests put back leave in the order they came back). Its tenant is charged
    /// when it leaves, as for any request. The deployment's bound applies; the tenant's does not, so that the tenant's
    /// later requests cannot push it out of the place it holds.
    /// </summary>
    public FairQueueResult Requeue(FairQueueEntry entry, long? startTag, long now)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.State != FairQueueEntryState.New)
        {
            throw new InvalidOperationException($"A request {entry.State} cannot be queued again.");
        }

        if (Count >= _options.MaxQueuedPerDeployment)
        {
            return new FairQueueResult(FairQueueOutcome.DeploymentFull, Remaining(now, NextDeadline!.Value));
        }

        if (!_flows.TryGetValue(entry.Tenant, out var flow))
        {
            flow = new Flow(entry.Tenant) { Counter = _virtualTime };
            _flows.Add(entry.Tenant, flow);
        }
        else if (flow.Queued == 0 && flow.HeapIndex >= 0)
        {
            // Owing: kept now by the request put back, and charged when it leaves.
            _owing.Remove(flow);
        }

        flow.Weight = entry.Weight;
        flow.Requeued++;
        entry.Flow = flow;
        entry.IsRequeued = true;
        entry.StartTag = Math.Min(startTag ?? _virtualTime, _virtualTime);
        entry.State = FairQueueEntryState.Queued;
        entry.EnqueuedAt = now;
        entry.Deadline = now + _timeout;
        Append(entry, ref _requeuedFirst, ref _requeuedLast);
        Count++;
        return new FairQueueResult(FairQueueOutcome.Queued, TimeSpan.Zero);
    }

    /// <summary>The waiting request whose deadline comes first: the oldest put back, or the oldest of the others.</summary>
    private FairQueueEntry? FirstDue =>
        _requeuedFirst is { } requeued && (_oldest is null || requeued.Deadline < _oldest.Deadline) ? requeued : _oldest;

    /// <summary>
    /// Takes the first request put back out of the queue and charges its tenant: from the virtual time when the tenant has
    /// nothing else waiting (no credit banked while away), else from its counter. The virtual time does not move: the
    /// request's start tag is behind it.
    /// </summary>
    private FairQueueEntry TakeRequeued(FairQueueEntry entry)
    {
        var flow = entry.Flow!;
        UnlinkRequeued(entry);
        if (flow.Queued == 0)
        {
            flow.Counter = Math.Max(flow.Counter, _virtualTime);
        }

        entry.ChargedUnits = Units(entry.Cost, flow.Weight);
        flow.Counter += entry.ChargedUnits;
        flow.InFlight++;
        InFlight++;
        entry.State = FairQueueEntryState.Dispatched;
        if (flow.Queued > 0)
        {
            _waiting.Update(flow);
        }

        return entry;
    }

    private void UnlinkRequeued(FairQueueEntry entry)
    {
        Detach(entry, ref _requeuedFirst, ref _requeuedLast);
        entry.Flow!.Requeued--;
        Count--;
    }
}
