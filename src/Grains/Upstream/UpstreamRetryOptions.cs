namespace Gateway.Grains.Upstream;

/// <summary>
/// Retries of one request's upstream call (<c>Gateway:Upstream:Retry</c>): on connection failures, timeouts, 408, 429,
/// 500, 502, 503, 504 and 529, only before anything reached the client, each next attempt on another deployment when
/// there is one, with exponential backoff and jitter.
/// </summary>
public sealed class UpstreamRetryOptions
{
    /// <summary>Attempts per request, the first included (1: no retry).</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>The first backoff; each next one doubles, with jitter.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest backoff.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>No retry starts once this long has passed since the request's first attempt.</summary>
    public TimeSpan Budget { get; set; } = TimeSpan.FromSeconds(30);
}
