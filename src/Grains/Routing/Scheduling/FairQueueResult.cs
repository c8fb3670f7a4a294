namespace Gateway.Grains.Routing.Scheduling;

/// <summary>
/// The answer to <see cref="FairQueue.Enqueue"/>. When refused, <see cref="RetryAfter"/> is when the bound that refused
/// is sure to have room: the oldest request it counts has left by then, dispatched or timed out.
/// </summary>
internal readonly record struct FairQueueResult(FairQueueOutcome Outcome, TimeSpan RetryAfter)
{
    public bool IsQueued => Outcome == FairQueueOutcome.Queued;
}
