using System.Threading.Channels;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Resilience;

/// <summary>
/// A fake clock that tells the test each wait the code under test starts on it, so the test advances time exactly
/// when, and by exactly as much as, the code waits: a retry's continuation may run on another thread, and time moved
/// before its wait began would be lost on it.
/// </summary>
public sealed class WaitClock() : FakeTimeProvider(ClusterFixture.Start)
{
    /// <summary>How long a test waits, in real time, for a wait that never comes before it fails.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private readonly Channel<TimeSpan> _waits = Channel.CreateUnbounded<TimeSpan>();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        _waits.Writer.TryWrite(dueTime);
        return timer;
    }

    /// <summary>The length of the next wait the code under test starts.</summary>
    public async Task<TimeSpan> NextWaitAsync()
    {
        try
        {
            return await _waits.Reader.ReadAsync().AsTask().WaitAsync(Bound);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"The code under test started no wait within {Bound.TotalSeconds} s (clock at {GetUtcNow():O}).");
            throw;
        }
    }

    /// <summary>Waits for the next wait to start, then moves time to its end; returns its length.</summary>
    public async Task<TimeSpan> CompleteNextWaitAsync()
    {
        var wait = await NextWaitAsync();
        Advance(wait);
        return wait;
    }

    /// <summary>Whether a wait has started that the test has not yet taken.</summary>
    public bool HasWaitPending => _waits.Reader.Count > 0;
}
