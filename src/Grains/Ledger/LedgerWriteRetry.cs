using Polly;
using Polly.Retry;

namespace Gateway.Grains.Ledger;

/// <summary>
/// How <see cref="PostgreSqlUsageLedger"/> retries a failed write: every failure, for as long as it takes (the rows
/// stay buffered meanwhile), waiting from 50 ms doubling up to <see cref="LedgerOptions.MaxRetryDelay"/>, plus up to
/// 50 ms of jitter so that silos that lost the database together do not return to it in step. A failure after
/// <c>isStopping</c> turns true is not retried: shutdown has given up on the drain.
/// </summary>
internal static class LedgerWriteRetry
{
    public static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(50);
    public static readonly TimeSpan MaxJitter = TimeSpan.FromMilliseconds(50);

    /// <param name="maxDelay">The longest wait before jitter.</param>
    /// <param name="time">The clock the waits run on.</param>
    /// <param name="isStopping">Whether a failure now ends the retries.</param>
    /// <param name="onRetry">Told of each failure that is retried, before its wait.</param>
    /// <param name="jitter">The jitter of one wait, under <see cref="MaxJitter"/>; random whole milliseconds unless given.</param>
    public static ResiliencePipeline Create(
        TimeSpan maxDelay,
        TimeProvider time,
        Func<bool> isStopping,
        Func<OnRetryArguments<object>, ValueTask> onRetry,
        Func<TimeSpan>? jitter = null)
    {
        jitter ??= static () => TimeSpan.FromMilliseconds(Random.Shared.Next(0, (int)MaxJitter.TotalMilliseconds));
        return new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = int.MaxValue,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is not null && !isStopping()),
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(DelayAfter(args.AttemptNumber, maxDelay) + jitter()),
                OnRetry = onRetry,
            })
            .Build();
    }

    /// <summary>The wait before jitter after the failed attempt <paramref name="attemptNumber"/> (zero-based, as Polly counts).</summary>
    public static TimeSpan DelayAfter(int attemptNumber, TimeSpan maxDelay) =>
        TimeSpan.FromTicks((long)Math.Min(maxDelay.Ticks, FirstDelay.Ticks * Math.Pow(2, attemptNumber)));
}
