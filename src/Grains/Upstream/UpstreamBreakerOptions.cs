namespace Gateway.Grains.Upstream;

/// <summary>
/// The circuit breaker of each deployment (<c>Gateway:Upstream:CircuitBreaker</c>): it opens when at least
/// <see cref="MinimumThroughput"/> calls within <see cref="SamplingDuration"/> failed at a ratio of at least
/// <see cref="FailureRatio"/> (by default: at most 5 failed calls within 30 s), stays open for <see cref="BreakDuration"/>,
/// then lets one probe through and closes when it succeeds. Failures that count: connection failures, timeouts, server
/// errors (5xx, 529), bad responses. A 429 puts the deployment in cooldown instead; a refusal of the request (4xx) counts as
/// a success of the deployment.
/// </summary>
public sealed class UpstreamBreakerOptions
{
    public double FailureRatio { get; set; } = 0.5;

    public int MinimumThroughput { get; set; } = 5;

    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(5);
}
