namespace Gateway.Grains.Upstream;

/// <summary>Behaviour of the grains that call providers (configuration <c>Gateway:Upstream</c>).</summary>
public sealed class UpstreamOptions
{
    public const string Section = "Gateway:Upstream";

    /// <summary>
    /// How long a served request keeps trying to settle with its tenant when the tenant's silo is unreachable
    /// (killed, shutting down): long enough for the cluster to declare the silo dead and the tenant to reactivate on
    /// a survivor. Settling is idempotent by request id, so a retry never charges twice.
    /// </summary>
    public TimeSpan SettlementRetryWindow { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long a stopping silo waits for its running upstream calls and streams to finish before its grains are
    /// deactivated (new calls go to workers on other silos meanwhile). Keep it inside the host's shutdown timeout.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>The largest non-streaming response body accepted from a provider; a larger one is a bad response (502).</summary>
    public long MaxResponseBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Retries of a failed upstream call, before anything reached the client (<c>Gateway:Upstream:Retry</c>).</summary>
    public UpstreamRetryOptions Retry { get; set; } = new();

    /// <summary>The circuit breaker of every deployment (<c>Gateway:Upstream:CircuitBreaker</c>).</summary>
    public UpstreamBreakerOptions CircuitBreaker { get; set; } = new();
}
