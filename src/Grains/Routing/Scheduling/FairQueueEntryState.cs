namespace Gateway.Grains.Routing.Scheduling;

/// <summary>Where a <see cref="FairQueueEntry"/> is: each moves forward only, and leaves the queue exactly once.</summary>
internal enum FairQueueEntryState
{
    /// <summary>Not enqueued yet, or refused by the queue's bounds.</summary>
    New,

    /// <summary>Waiting for capacity.</summary>
    Queued,

    /// <summary>Taken from the queue and sent; its tenant is charged until it completes.</summary>
    Dispatched,

    /// <summary>Completed after dispatch: its charge is settled at its actual usage.</summary>
    Completed,

    /// <summary>Left the queue without being sent (its client went away).</summary>
    Cancelled,

    /// <summary>Waited for the queue timeout without being sent.</summary>
    Expired,
}
