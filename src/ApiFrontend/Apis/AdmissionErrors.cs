using Gateway.ApiFrontend.Errors;
using Gateway.Grains.Abstractions.Tenants;

namespace Gateway.ApiFrontend.Apis;

/// <summary>What a refused admission tells the client, in OpenAI's words and codes.</summary>
public static class AdmissionErrors
{
    /// <summary>The key's tenant was deleted after the key was resolved.</summary>
    public static OpenAiError UnknownTenant() => new(StatusCodes.Status401Unauthorized,
        "The tenant of this API key no longer exists.", "invalid_request_error", code: "invalid_api_key");

    /// <summary>The model is outside the tenant's allowed models: refused at admission, and by a token count.</summary>
    public static OpenAiError ModelNotAllowed(string model) => new(StatusCodes.Status403Forbidden,
        $"Your tenant is not allowed to use model '{model}'.", "invalid_request_error", "model", "model_not_allowed");

    public static OpenAiError For(AdmissionResult result, string model)
    {
        var limits = result.RateLimits;
        var wait = RateLimitHeaders.Duration(result.RetryAfter);
        return result.Outcome switch
        {
            AdmissionOutcome.UnknownTenant => UnknownTenant(),
            AdmissionOutcome.ModelNotAllowed => ModelNotAllowed(model),
            AdmissionOutcome.RequestRateExceeded => RateLimited(
                $"Rate limit reached for requests per minute: limit {limits.RequestLimit}. Please try again in {wait}.", "requests", result.RetryAfter),
            AdmissionOutcome.TokenRateExceeded => RateLimited(
                $"Rate limit reached for tokens per minute: limit {limits.TokenLimit}, remaining {limits.RemainingTokens}. Please try again in {wait}.", "tokens", result.RetryAfter),
            AdmissionOutcome.RequestTooLarge => RateLimited(
                $"Request too large: its worst case exceeds the tokens per minute limit of {limits.TokenLimit}. Lower max_tokens or shorten the prompt.", "tokens", result.RetryAfter),
            AdmissionOutcome.ConcurrencyExceeded => RateLimited(
                "Too many concurrent requests for your tenant. Please try again shortly.", "requests", result.RetryAfter),
            AdmissionOutcome.AccountingUnavailable => new OpenAiError(StatusCodes.Status503ServiceUnavailable,
                "Usage cannot be recorded right now, so the request is not served. Please retry shortly.",
                "server_error", code: "accounting_unavailable", retryAfter: result.RetryAfter),
            AdmissionOutcome.TierNotConfigured => new OpenAiError(StatusCodes.Status403Forbidden,
                "Your tenant's tier is not configured on this gateway, so no request can be served. Please contact the gateway's operator.",
                "invalid_request_error", code: "tier_not_configured"),
            AdmissionOutcome.TokenQuotaExhausted => Quota(
                "You exceeded your monthly token quota. It renews at the start of next month (UTC) or when an operator raises it."),
            AdmissionOutcome.BudgetExhausted => Quota(
                "You exceeded your monthly budget. It renews at the start of next month (UTC) or when an operator raises it."),
            _ => throw new ArgumentOutOfRangeException(nameof(result), result.Outcome, "Not a refusal."),
        };
    }

    /// <summary>What a refused token count tells the client: as <see cref="For"/>, but a rate refusal is of counts.</summary>
    public static OpenAiError ForCount(AdmissionResult result, string model) => result.Outcome == AdmissionOutcome.RequestRateExceeded
        ? RateLimited(
            $"Rate limit reached for token counts per minute: limit {result.RateLimits.RequestLimit}. Please try again in {RateLimitHeaders.Duration(result.RetryAfter)}.",
            "requests", result.RetryAfter)
        : For(result, model);

    private static OpenAiError RateLimited(string message, string type, TimeSpan retryAfter) =>
        new(StatusCodes.Status429TooManyRequests, message, type, code: "rate_limit_exceeded", retryAfter: retryAfter);

    private static OpenAiError Quota(string message) =>
        new(StatusCodes.Status429TooManyRequests, message, "insufficient_quota", code: "insufficient_quota");
}
