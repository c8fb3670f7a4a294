namespace Gateway.ApiFrontend.Cluster;

/// <summary>
/// Retries a grain call that is safe to repeat (admission of a request id, key resolution, reads) when the cluster
/// rejected it in passing: a silo stopping in a rolling update refuses or drops what reaches it, and the next attempt
/// lands on the tenant's new activation. A few quick attempts, then the error stands (503 to the client).
/// </summary>
public static class IdempotentCalls
{
    private static readonly TimeSpan[] Backoff = [TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(500)];

    public static async Task<T> RetryAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (OrleansException) when (attempt < Backoff.Length && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(Backoff[attempt], cancellationToken);
            }
        }
    }
}
