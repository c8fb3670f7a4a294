using Gateway.Catalog.Resilience;
using Polly;
using Polly.Retry;

namespace Gateway.ApiFrontend.Cluster;

/// <summary>
/// Retries a grain call that is safe to repeat (admission of a request id, key resolution, reads) when the cluster
/// rejected it in passing: a silo stopping in a rolling update refuses or drops what reaches it, and the next attempt
/// lands on the tenant's new activation. A few quick attempts, then the error stands (503 to the client).
/// </summary>
/// <remarks>
/// On the process's own clock, not the gateway's: the waits are for the cluster to move a grain, which a test's fake
/// gateway clock does not drive.
/// </remarks>
public sealed class IdempotentCalls(TimeProvider time)
{
    private static readonly TimeSpan[] Backoff = [TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(500)];

    private readonly ResiliencePipeline _pipeline = new ResiliencePipelineBuilder { TimeProvider = time }
        .AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = Backoff.Length,
            ShouldHandle = static args => ValueTask.FromResult(args.Outcome.Exception is OrleansException && !args.Context.CancellationToken.IsCancellationRequested),
            DelayGenerator = static args => ValueTask.FromResult<TimeSpan?>(Backoff[args.AttemptNumber]),
        })
        .Build();

    /// <summary>
    /// The call's result, retried up to three times on <see cref="OrleansException"/>. Once
    /// <paramref name="cancellationToken"/> is cancelled no further attempt starts: a wait ends at once, and the
    /// error of an attempt under way stands.
    /// </summary>
    public async Task<T> RetryAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken = default)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            var outcome = await _pipeline.ExecuteFirstAttemptAheadAsync(
                static async (_, call) => Outcome.FromResult(await call()), context, call, static _ => false);
            outcome.ThrowIfException();
            return outcome.Result!;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }
}
