using Gateway.Grains.Abstractions.Upstream;

namespace Gateway.Grains.Upstream;

/// <summary>
/// The outcome of one attempt on one deployment: an open exchange, or a failure. <see cref="CountsAgainstDeployment"/>
/// feeds the deployment's circuit breaker; <see cref="Retryable"/> tells the retry strategy whether to try again.
/// </summary>
public sealed class AttemptResult
{
    private AttemptResult(UpstreamExchange? exchange, UpstreamFailure? failure, bool countsAgainstDeployment, bool retryable)
    {
        Exchange = exchange;
        Failure = failure;
        CountsAgainstDeployment = countsAgainstDeployment;
        Retryable = retryable;
    }

    public UpstreamExchange? Exchange { get; }

    public UpstreamFailure? Failure { get; }

    public bool CountsAgainstDeployment { get; }

    public bool Retryable { get; internal set; }

    public static AttemptResult Succeeded(UpstreamExchange exchange) => new(exchange, null, false, false);

    public static AttemptResult Failed(UpstreamFailure failure) =>
        new(null, failure, UpstreamFailureRules.CountsAgainstDeployment(failure), UpstreamFailureRules.IsRetryable(failure));

    /// <summary>Nothing could be tried (no usable deployment): final, and no deployment is to blame.</summary>
    public static AttemptResult NothingToTry(UpstreamFailure failure) => new(null, failure, false, false);
}
