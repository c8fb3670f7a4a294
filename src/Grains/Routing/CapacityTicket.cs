using Gateway.Grains.Abstractions.Routing;
using Gateway.Grains.Routing.Scheduling;

namespace Gateway.Grains.Routing;

/// <summary>
/// One request's hold on a deployment's capacity, from <see cref="DeploymentCapacity.AcquireAsync"/>. Use it with
/// <c>using</c>: <see cref="Complete"/> when the request finished, <see cref="Cancel"/> when the attempt sent nothing,
/// and <see cref="Dispose"/> covers every other way out (an exception included) by completing with the reserved tokens.
/// </summary>
/// <remarks>
/// A class, not a struct: the first of <see cref="Complete"/>, <see cref="Cancel"/> and <see cref="Dispose"/> wins and
/// the others do nothing, which needs one shared flag. A struct copied (into a closure, a field, a <c>using</c>) would
/// carry its own flag, and two copies could free one slot twice, breaking the concurrency limit. It is the only
/// allocation of a request that fits the silo's spare, so it stays small (64 bytes: the flags are bytes, whether it was
/// acquired is whether it has a pool): what a request that waited in the queue needs beyond that is in its queue entry.
/// </remarks>
public sealed class CapacityTicket : IDisposable
{
    private readonly CapacityPool? _pool;
    private readonly FairQueueEntry? _queued;
    private readonly long _takenAt;
    private readonly CapacityHolds _holds;
    private readonly byte _refusal;
    private int _released;

    internal CapacityTicket(CapacityPool pool, CapacityHolds holds, long reservedTokens, long takenAt, FairQueueEntry? queued = null)
    {
        _pool = pool;
        _holds = holds;
        _takenAt = takenAt;
        _queued = queued;
        ReservedTokens = reservedTokens;
    }

    private CapacityTicket(CapacityRefusal refusal, TimeSpan retryAfter)
    {
        _refusal = checked((byte)refusal);
        RetryAfter = retryAfter;
    }

    /// <summary>Whether the request may be sent.</summary>
    public bool IsAcquired => _pool is not null;

    /// <summary>When not acquired: how long until capacity is expected (above zero).</summary>
    public TimeSpan RetryAfter { get; }

    /// <summary>When not acquired: the limit that is reached.</summary>
    public CapacityRefusal Refusal => (CapacityRefusal)_refusal;

    /// <summary>The tokens reserved for the request (zero when the deployment has no tokens-per-minute limit).</summary>
    public long ReservedTokens { get; }

    /// <summary>Whether the request waited in the deployment's fair queue for this ticket.</summary>
    public bool WasQueued => _queued is not null;

    /// <summary>How long the request waited in the deployment's fair queue (zero when it did not).</summary>
    public TimeSpan QueuedFor => _queued?.Waited ?? TimeSpan.Zero;

    /// <summary>Where the request stood in the deployment's fair queue when it left it (null when it did not wait).</summary>
    public QueuePlace? Place => _queued is null ? null : new QueuePlace(_pool!.DeploymentId, _queued.StartTag);

    /// <summary>The request finished: frees its slot and gives back the tokens reserved beyond <paramref name="actualTokens"/>.</summary>
    public void Complete(long actualTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(actualTokens);
        if (Release())
        {
            _pool!.Release(_holds, _takenAt, ReservedTokens, actualTokens, cancelled: false, _queued, actualTokens);
        }
    }

    /// <summary>The attempt sent nothing upstream: its slot, its request and all its tokens go back, as if never taken.</summary>
    public void Cancel()
    {
        if (Release())
        {
            _pool!.Release(_holds, _takenAt, ReservedTokens, 0, cancelled: true, _queued, 0);
        }
    }

    /// <summary>Completes with the reserved tokens (the worst case) unless completed or cancelled already.</summary>
    public void Dispose()
    {
        if (Release())
        {
            // The queue charges the expected cost, which it knows even when the deployment reserves no tokens.
            _pool!.Release(_holds, _takenAt, ReservedTokens, ReservedTokens, cancelled: false, _queued, _queued?.Cost ?? 0);
        }
    }

    internal static CapacityTicket Refused(CapacityRefusal refusal, TimeSpan retryAfter) => new(refusal, retryAfter);

    private bool Release() => _pool is not null && Interlocked.Exchange(ref _released, 1) == 0;
}
