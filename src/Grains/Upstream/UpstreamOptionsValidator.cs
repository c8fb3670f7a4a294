using Microsoft.Extensions.Options;

namespace Gateway.Grains.Upstream;

/// <summary>Refuses to start with retry or breaker settings that cannot work, naming the setting to fix.</summary>
internal sealed class UpstreamOptionsValidator : IValidateOptions<UpstreamOptions>
{
    public ValidateOptionsResult Validate(string? name, UpstreamOptions options)
    {
        const string at = UpstreamOptions.Section;
        var failures = new List<string>();
        var retry = options.Retry;
        if (retry.MaxAttempts < 1) failures.Add($"{at}:Retry:MaxAttempts must be at least 1 (1: no retry).");
        if (retry.BaseDelay < TimeSpan.Zero || retry.MaxDelay < retry.BaseDelay) failures.Add($"{at}:Retry:BaseDelay must not be negative and MaxDelay not below it.");
        if (retry.Budget <= TimeSpan.Zero) failures.Add($"{at}:Retry:Budget must be positive.");
        var breaker = options.CircuitBreaker;
        if (breaker.FailureRatio is <= 0 or > 1) failures.Add($"{at}:CircuitBreaker:FailureRatio must be above 0 and at most 1.");
        if (breaker.MinimumThroughput < 2) failures.Add($"{at}:CircuitBreaker:MinimumThroughput must be at least 2.");
        if (breaker.SamplingDuration < TimeSpan.FromMilliseconds(500)) failures.Add($"{at}:CircuitBreaker:SamplingDuration must be at least 00:00:00.5.");
        if (breaker.BreakDuration < TimeSpan.FromMilliseconds(500)) failures.Add($"{at}:CircuitBreaker:BreakDuration must be at least 00:00:00.5.");
        if (options.MaxResponseBytes <= 0) failures.Add($"{at}:MaxResponseBytes must be positive.");
        if (options.SettlementRetryWindow <= TimeSpan.Zero) failures.Add($"{at}:SettlementRetryWindow must be positive.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
