namespace Gateway.Grains.Routing.Scheduling;

// The lists a waiting request is linked into through its own entry: its tenant's requests and all requests, oldest first.
internal sealed partial class FairQueue
{
    /// <summary>Puts a new request at the end of its tenant's requests and of all requests.</summary>
    private void Link(FairQueueEntry entry, Flow flow)
    {
        entry.FlowPrevious = flow.Tail;
        if (flow.Tail is null)
        {
            flow.Head = entry;
        }
        else
        {
            flow.Tail.FlowNext = entry;
        }

        flow.Tail = entry;
        entry.ArrivalPrevious = _newest;
        if (_newest is null)
        {
            _oldest = entry;
        }
        else
        {
            _newest.ArrivalNext = entry;
        }

        _newest = entry;
        flow.Queued++;
        Count++;
    }

    private void Unlink(FairQueueEntry entry)
    {
        var flow = entry.Flow!;
        if (entry.FlowPrevious is null)
        {
            flow.Head = entry.FlowNext;
        }
        else
        {
            entry.FlowPrevious.FlowNext = entry.FlowNext;
        }

        if (entry.FlowNext is null)
        {
            flow.Tail = entry.FlowPrevious;
        }
        else
        {
            entry.FlowNext.FlowPrevious = entry.FlowPrevious;
        }

        if (entry.ArrivalPrevious is null)
        {
            _oldest = entry.ArrivalNext;
        }
        else
        {
            entry.ArrivalPrevious.ArrivalNext = entry.ArrivalNext;
        }

        if (entry.ArrivalNext is null)
        {
            _newest = entry.ArrivalPrevious;
        }
        else
        {
            entry.ArrivalNext.ArrivalPrevious = entry.ArrivalPrevious;
        }

        entry.FlowNext = entry.FlowPrevious = entry.ArrivalNext = entry.ArrivalPrevious = null;
        flow.Queued--;
        Count--;
    }
}
