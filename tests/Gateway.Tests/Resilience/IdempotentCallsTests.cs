using Gateway.ApiFrontend.Cluster;

namespace Gateway.Tests.Resilience;

/// <summary><see cref="IdempotentCalls"/> on a fake clock: three quick retries of a call the cluster rejected in passing.</summary>
public sealed class IdempotentCallsTests
{
    private readonly WaitClock _clock = new();
    private int _calls;

    [Fact]
    public async Task RetriesAClusterFailureAfter50Then200Then500Ms()
    {
        var answering = new IdempotentCalls(_clock).RetryAsync(() => FailingAsync(times: 3, answer: 42));

        Assert.Equal(TimeSpan.FromMilliseconds(50), await _clock.CompleteNextWaitAsync());
        Assert.Equal(TimeSpan.FromMilliseconds(200), await _clock.CompleteNextWaitAsync());
        Assert.Equal(TimeSpan.FromMilliseconds(500), await _clock.CompleteNextWaitAsync());

        Assert.Equal(42, await answering.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(4, _calls);
    }

    [Fact]
    public async Task TheFourthFailureStands()
    {
        var answering = new IdempotentCalls(_clock).RetryAsync(() => FailingAsync(times: int.MaxValue, answer: 0));
        for (var i = 0; i < 3; i++)
        {
            await _clock.CompleteNextWaitAsync();
        }

        var failure = await Assert.ThrowsAsync<OrleansException>(() => answering.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("rejected 4", failure.Message);
        Assert.Equal(4, _calls);
        Assert.False(_clock.HasWaitPending);
    }

    [Fact]
    public async Task OtherFailuresAreNotRetried()
    {
        var calls = new IdempotentCalls(_clock);

        await Assert.ThrowsAsync<TimeoutException>(() => calls.RetryAsync<int>(() => throw new TimeoutException()));
        Assert.False(_clock.HasWaitPending);
    }

    [Fact]
    public async Task CancellationEndsAWait()
    {
        using var aborted = new CancellationTokenSource();
        var answering = new IdempotentCalls(_clock).RetryAsync(() => FailingAsync(times: 1, answer: 42), aborted.Token);
        await _clock.NextWaitAsync();

        await aborted.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => answering.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, _calls);
    }

    [Fact]
    public async Task AClusterFailureAfterCancellationIsNotRetried()
    {
        using var aborted = new CancellationTokenSource();
        var calls = new IdempotentCalls(_clock);

        var failure = await Assert.ThrowsAsync<OrleansException>(() => calls.RetryAsync(async () =>
        {
            await aborted.CancelAsync();
            return await FailingAsync(times: 1, answer: 42);
        }, aborted.Token));
        Assert.Equal("rejected 1", failure.Message);
        Assert.Equal(1, _calls);
        Assert.False(_clock.HasWaitPending);
    }

    private Task<int> FailingAsync(int times, int answer)
    {
        var call = Interlocked.Increment(ref _calls);
        return call <= times ? Task.FromException<int>(new OrleansException($"rejected {call}")) : Task.FromResult(answer);
    }
}
