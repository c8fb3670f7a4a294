using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// The shared gateway's fake clock, which also shows which of the waits started on it are still pending, so a test moves
/// time only once the wait it means to end exists: time moved before a wait begins is lost on it. Unlike
/// <see cref="Resilience.WaitClock"/> it keeps no history, only the timers not yet disposed (a gateway shared by many tests
/// starts many).
/// </summary>
public sealed class WatchedClock() : FakeTimeProvider(ClusterFixture.Start)
{
    private readonly Lock _gate = new();
    private readonly HashSet<WatchedTimer> _pending = [];
    private long _started;

    /// <summary>How many timers have been started so far: a mark for <see cref="HasPendingWait"/>.</summary>
    public long TimersStarted => Interlocked.Read(ref _started);

    /// <summary>Whether a timer of <paramref name="dueTime"/> started after the mark <paramref name="startedAfter"/> is still pending (not disposed).</summary>
    public bool HasPendingWait(TimeSpan dueTime, long startedAfter)
    {
        lock (_gate)
        {
            return _pending.Any(t => t.DueTime == dueTime && t.Sequence > startedAfter);
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new WatchedTimer(this, base.CreateTimer(callback, state, dueTime, period), dueTime, Interlocked.Increment(ref _started));
        lock (_gate)
        {
            _pending.Add(timer);
        }

        return timer;
    }

    private void Ended(WatchedTimer timer)
    {
        lock (_gate)
        {
            _pending.Remove(timer);
        }
    }

    private sealed class WatchedTimer(WatchedClock clock, ITimer inner, TimeSpan dueTime, long sequence) : ITimer
    {
        public TimeSpan DueTime { get; private set; } = dueTime;

        public long Sequence { get; } = sequence;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            DueTime = dueTime;
            return inner.Change(dueTime, period);
        }

        public void Dispose()
        {
            clock.Ended(this);
            inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            clock.Ended(this);
            return inner.DisposeAsync();
        }
    }
}
