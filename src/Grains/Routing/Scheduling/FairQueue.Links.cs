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
        Append(entry, ref _oldest, ref _newest);
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

        Detach(entry, ref _oldest, ref _newest);
        entry.FlowNext = entry.FlowPrevious = null;
        flow.Queued--;
        Count--;
    }

    /// <summary>Appends <paramref name="entry"/> to a list linked through the arrival links (all requests, or those put back).</summary>
    private static void Append(FairQueueEntry entry, ref FairQueueEntry? first, ref FairQueueEntry? last)
    {
        entry.ArrivalPrevious = last;
        if (last is null)
        {
            first = entry;
        }
        else
        {
            last.ArrivalNext = entry;
        }

        last = entry;
    }

    /// <summary>Takes <paramref name="entry"/> out of a list linked through the arrival links.</summary>
    private static void Detach(FairQueueEntry entry, ref FairQueueEntry? first, ref FairQueueEntry? last)
    {
        if (entry.ArrivalPrevious is null)
        {
            first = entry.ArrivalNext;
        }
        else
        {
            entry.ArrivalPrevious.ArrivalNext = entry.ArrivalNext;
        }

        if (entry.ArrivalNext is null)
        {
            last = entry.ArrivalPrevious;
        }
        else
        {
            entry.ArrivalNext.ArrivalPrevious = entry.ArrivalPrevious;
        }

        entry.ArrivalNext = entry.ArrivalPrevious = null;
    }
}
