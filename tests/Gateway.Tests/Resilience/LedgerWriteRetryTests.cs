using Gateway.Grains.Ledger;
using Polly;

namespace Gateway.Tests.Resilience;

/// <summary>
/// The usage ledger's write retry on a fake clock: every failure retried, waits doubling from 50 ms up to the most plus
/// jitter, and nothing retried once shutdown has given up.
/// </summary>
public sealed class LedgerWriteRetryTests
{
    private static readonly TimeSpan Jitter = TimeSpan.FromMilliseconds(7);

    private readonly WaitClock _clock = new();
    private readonly List<int> _retried = [];
    private bool _stopping;
    private int _attempts;

    [Fact]
    public async Task RetriesEveryFailureWaitingDoublingUpToTheMostPlusJitter()
    {
        var writing = Pipeline(maxDelay: TimeSpan.FromMilliseconds(200)).ExecuteAsync(_ => WriteAsync(failures: 5)).AsTask();

        foreach (var wait in new[] { 50, 100, 200, 200, 200 })
        {
            Assert.Equal(TimeSpan.FromMilliseconds(wait) + Jitter, await _clock.CompleteNextWaitAsync());
        }

        await writing.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(6, _attempts);
        Assert.Equal([1, 2, 3, 4, 5], _retried);
    }

    [Fact]
    public async Task AFailureOnceShutdownHasGivenUpIsNotRetried()
    {
        var writing = Pipeline(TimeSpan.FromSeconds(5)).ExecuteAsync(_ => WriteAsync(failures: int.MaxValue)).AsTask();
        await _clock.CompleteNextWaitAsync();
        await _clock.CompleteNextWaitAsync();

        // The wait under way is not cut short; the failure after it ends the retries.
        var wait = await _clock.NextWaitAsync();
        _stopping = true;
        Assert.False(writing.IsCompleted);
        _clock.Advance(wait);

        await Assert.ThrowsAsync<InvalidOperationException>(() => writing.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(4, _attempts);
        Assert.Equal([1, 2, 3], _retried);
    }

    [Fact]
    public void WaitsAreCappedEvenAfterManyFailures()
    {
        var max = TimeSpan.FromSeconds(5);

        Assert.Equal(TimeSpan.FromMilliseconds(50), LedgerWriteRetry.DelayAfter(0, max));
        Assert.Equal(TimeSpan.FromMilliseconds(3200), LedgerWriteRetry.DelayAfter(6, max));
        Assert.Equal(max, LedgerWriteRetry.DelayAfter(7, max));
        Assert.Equal(max, LedgerWriteRetry.DelayAfter(int.MaxValue - 1, max));
    }

    private ResiliencePipeline Pipeline(TimeSpan maxDelay) =>
        LedgerWriteRetry.Create(maxDelay, _clock, () => _stopping, args =>
        {
            _retried.Add(args.AttemptNumber + 1);
            return ValueTask.CompletedTask;
        }, () => Jitter);

    private ValueTask WriteAsync(int failures) =>
        Interlocked.Increment(ref _attempts) <= failures
            ? ValueTask.FromException(new InvalidOperationException($"write {_attempts} failed"))
            : ValueTask.CompletedTask;
}
