using Gateway.Grains.Tenants;

namespace Gateway.Tests.Tenants;

/// <summary>
/// When a tenant's state is written (<see cref="TenantCheckpoint"/>): a one-shot timer only while something changed,
/// one write in flight at a time, writes asked for meanwhile merged into one that follows, a failed write retried.
/// Writes are completed by hand and the timer is fired by hand, so nothing here waits on a clock.
/// </summary>
public sealed class TenantCheckpointTests : ICheckpointHost
{
    private readonly List<TaskCompletionSource> _writes = [];
    private readonly Dictionary<int, TaskCompletionSource> _awaited = [];
    private readonly List<Timer> _timers = [];
    private readonly TenantCheckpoint _checkpoint;

    public TenantCheckpointTests() => _checkpoint = new TenantCheckpoint(this);

    [Fact]
    public void AChangeSchedulesOneFlushAndNoMoreWhileItIsPending()
    {
        Assert.False(_checkpoint.IsScheduled, "A checkpoint with nothing to write holds no timer.");

        _checkpoint.MarkDirty();
        _checkpoint.MarkDirty();

        Assert.Single(_timers);
        Assert.True(_checkpoint.IsDirty);
        Assert.Empty(_writes);
    }

    [Fact]
    public async Task TheDueFlushWritesOnceAndLetsGoOfItsTimer()
    {
        _checkpoint.MarkDirty();

        var flushed = _timers[0].Fire();
        Assert.Single(_writes);
        _writes[0].SetResult();
        await flushed;

        Assert.True(_timers[0].Disposed, "The one-shot timer is disposed when it fires.");
        Assert.False(_checkpoint.IsScheduled, "Nothing left to write: no timer.");
        Assert.False(_checkpoint.IsDirty);

        _checkpoint.MarkDirty();
        Assert.Equal(2, _timers.Count);
    }

    [Fact]
    public async Task AFlushOfACleanStateWritesNothingAndAnswersTheWriteInFlight()
    {
        await _checkpoint.FlushAsync(onlyIfDirty: true);
        Assert.Empty(_writes);

        var first = _checkpoint.FlushAsync();
        var clean = _checkpoint.FlushAsync(onlyIfDirty: true);

        Assert.Same(first, clean);
        _writes[0].SetResult();
        await clean;
        Assert.Single(_writes);
    }

    [Fact]
    public async Task FlushesAskedForDuringAWriteFollowItAsOneWrite()
    {
        var first = _checkpoint.FlushAsync();
        var second = _checkpoint.FlushAsync();
        var third = _checkpoint.FlushAsync();

        Assert.Single(_writes); // the others wait for the first to end
        _writes[0].SetResult();
        await first;
        await WaitForWritesAsync(2);
        Assert.False(third.IsCompleted, "The third flush must wait for the write that covers its change.");

        _writes[1].SetResult();
        await Task.WhenAll(second, third);
        Assert.Equal(2, _writes.Count);
    }

    [Fact]
    public async Task AFailedWriteLeavesTheStateDirtyAndScheduledAndTheNextFlushWrites()
    {
        var failed = _checkpoint.FlushAsync();
        _writes[0].SetException(new TimeoutException("storage"));

        await Assert.ThrowsAsync<TimeoutException>(() => failed);
        Assert.True(_checkpoint.IsDirty, "A failed write must be retried.");
        Assert.True(_checkpoint.IsScheduled, "The retry is scheduled.");

        var retried = _timers[0].Fire();
        Assert.Equal(2, _writes.Count);
        _writes[1].SetResult();
        await retried;
        Assert.False(_checkpoint.IsDirty);
    }

    Task ICheckpointHost.WriteCheckpointAsync()
    {
        var write = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_writes)
        {
            _writes.Add(write);
            if (_awaited.Remove(_writes.Count, out var started))
            {
                started.SetResult();
            }
        }

        return write.Task;
    }

    IDisposable ICheckpointHost.ScheduleFlush(TenantCheckpoint checkpoint)
    {
        var timer = new Timer(checkpoint.FlushDueAsync);
        _timers.Add(timer);
        return timer;
    }

    /// <summary>The next write starts in the continuation of the one before, which runs asynchronously: waits for it.</summary>
    private async Task WaitForWritesAsync(int count)
    {
        Task started;
        lock (_writes)
        {
            started = _writes.Count >= count
                ? Task.CompletedTask
                : (_awaited[count] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }

        try
        {
            await started.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            Assert.Fail($"Expected write {count} to start within 10 s after the one before ended; {_writes.Count} started.");
        }
    }

    private sealed class Timer(Func<Task> flush) : IDisposable
    {
        public bool Disposed { get; private set; }

        public Task Fire() => flush();

        public void Dispose() => Disposed = true;
    }
}
