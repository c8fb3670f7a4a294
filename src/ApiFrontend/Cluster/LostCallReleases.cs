using Gateway.Grains.Abstractions.Tenants;
using Polly;
using Polly.Retry;

namespace Gateway.ApiFrontend.Cluster;

/// <summary>
/// Gives back the reservation of a call lost with its silo, so a client that was answered <c>503 upstream_lost</c> is
/// not charged and its budget is not held; and of a call whose client went away (Orleans sends no call whose token is
/// already cancelled, so a client gone between admission and the upstream call reached no worker that would release). The release is tried at once; when the tenant cannot answer yet (its silo
/// died too and the cluster has not declared it dead, so the call times out or is refused), it is retried in the
/// background until the tenant's new activation takes it (it restores the reservation from its checkpoint, then
/// releases it) or until the reservation would have expired by itself anyway. Releasing is idempotent; a call that was
/// still running after all is charged by its own settlement (idempotent by request id), whichever comes first.
/// </summary>
/// <remarks>
/// Bounded: at most <see cref="MaxPending"/> releases wait at once (beyond, the reservation expires by itself, as it
/// would without this service); the retries stop when the host stops. On the process's own clock: the waits are for
/// the cluster to move a grain, which a test's fake gateway clock does not drive.
/// </remarks>
public sealed class LostCallReleases : IDisposable
{
    /// <summary>Most releases retried in the background at once.</summary>
    public const int MaxPending = 10_000;

    /// <summary>How long a release is retried: the tenant grain's default reservation timeout, after which there is nothing left to release.</summary>
    public static readonly TimeSpan RetryWindow = TimeSpan.FromMinutes(15);

    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(500);

    private readonly CancellationTokenSource _stopping = new();
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline _retry;
    private int _pending;

    public LostCallReleases(TimeProvider time)
    {
        _time = time;
        _retry = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddTimeout(RetryWindow)
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = FirstDelay,
                MaxDelay = TimeSpan.FromSeconds(30),
                ShouldHandle = static args => ValueTask.FromResult(IsTransient(args.Outcome.Exception)),
            })
            .Build();
    }

    /// <summary>Releases still being retried.</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>
    /// Releases <paramref name="requestId"/>'s reservation: one attempt now, awaited; if the tenant is unreachable,
    /// further attempts in the background (this returns without waiting for them).
    /// </summary>
    public async Task ReleaseAsync(ITenantGrain tenant, string requestId)
    {
        try
        {
            await tenant.ReleaseAsync(requestId);
        }
        catch (Exception exception) when (IsTransient(exception))
        {
            if (Interlocked.Increment(ref _pending) > MaxPending || _stopping.IsCancellationRequested)
            {
                Interlocked.Decrement(ref _pending);
                return;
            }

            _ = RetryInBackgroundAsync(tenant, requestId);
        }
    }

    private async Task RetryInBackgroundAsync(ITenantGrain tenant, string requestId)
    {
        try
        {
            // The attempt just made failed: the first retry waits like every later one.
            await Task.Delay(FirstDelay, _time, _stopping.Token);
            await _retry.ExecuteAsync(static async (state, _) => await state.tenant.ReleaseAsync(state.requestId), (tenant, requestId), _stopping.Token);
        }
        catch (Exception exception) when (IsTransient(exception) || exception is OperationCanceledException or Polly.Timeout.TimeoutRejectedException)
        {
            // Stopped, or the window passed: the reservation expires by itself.
        }
        finally
        {
            Interlocked.Decrement(ref _pending);
        }
    }

    private static bool IsTransient(Exception? exception) => exception is OrleansException or TimeoutException;

    /// <summary>Ends the background retries (the host is stopping). The token source is only cancelled, never disposed, so a late caller cannot trip over it.</summary>
    public void Dispose() => _stopping.Cancel();
}
