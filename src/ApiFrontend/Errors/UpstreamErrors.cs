using Gateway.Grains.Abstractions.Upstream;

namespace Gateway.ApiFrontend.Errors;

/// <summary>
/// The one place where an upstream failure becomes what the client is told: status, OpenAI error and <c>Retry-After</c>.
/// The client's own mistakes that the provider found pass through as 4xx with the provider's message; the provider's
/// (or the gateway's) trouble becomes 502, 503 or 504; a full deployment is a 429.
/// </summary>
public static class UpstreamErrors
{
    private static readonly TimeSpan ShortWait = TimeSpan.FromSeconds(1);

    public static OpenAiError For(UpstreamFailure failure)
    {
        var provider = failure.Provider is { } name ? $"Provider '{name}'" : "The provider";
        return failure.Kind switch
        {
            UpstreamFailureKind.Unreachable => Server(502, "upstream_unreachable", $"{provider} could not be reached."),
            UpstreamFailureKind.TimedOut => Server(504, "upstream_timeout", $"{provider} did not answer in time."),
            UpstreamFailureKind.Overloaded => Server(503, "upstream_unavailable", $"{provider} is unavailable; try again later.", failure.RetryAfter ?? ShortWait),
            UpstreamFailureKind.RateLimited => Server(503, "upstream_rate_limited", $"{provider} is rate limiting the gateway; try again later.", failure.RetryAfter ?? ShortWait),
            UpstreamFailureKind.BadResponse => Server(502, "upstream_bad_response", $"{provider} sent a response the gateway could not read."),
            UpstreamFailureKind.ProviderError => Server(502, "upstream_error",
                failure.ProviderStatus is { } status ? $"{provider} failed with status {status}." : $"{provider} failed.", failure.RetryAfter),
            UpstreamFailureKind.Refused => new OpenAiError(
                failure.ProviderStatus is int refused && refused != 404 ? refused : StatusCodes.Status400BadRequest,
                $"The provider rejected the request: {failure.ProviderMessage ?? StatusText(failure.ProviderStatus)}",
                "invalid_request_error", code: "upstream_rejected"),
            UpstreamFailureKind.Untranslatable => OpenAiError.InvalidRequest(
                failure.ProviderMessage ?? "The request cannot be sent to this model's provider.", failure.Param, failure.Code),
            UpstreamFailureKind.AuthFailed => Server(502, "upstream_auth_failed", $"The gateway could not authenticate with {provider.ToLowerInvariant()}."),
            UpstreamFailureKind.StreamCut => Server(502, "upstream_stream_interrupted", $"{provider} ended the stream early."),
            UpstreamFailureKind.CapacityExceeded => new OpenAiError(StatusCodes.Status429TooManyRequests,
                "Every deployment of this model is at its capacity. Please try again shortly.", "requests", code: "capacity_exceeded",
                retryAfter: failure.RetryAfter ?? ShortWait),
            UpstreamFailureKind.DeploymentSaturated => Server(503, "capacity_exceeded",
                "This model's deployment is saturated: its queue is full. Please try again shortly.", failure.RetryAfter ?? ShortWait),
            UpstreamFailureKind.NoHealthyDeployment => Server(503, "upstream_unavailable",
                "Every deployment of this model is failing or cooling down; nothing was sent. Please try again shortly.", failure.RetryAfter ?? ShortWait),
            UpstreamFailureKind.Draining => Server(503, "worker_draining",
                "The gateway node holding this request is stopping; it was not sent. Please retry.", ShortWait),
            UpstreamFailureKind.NotRecorded => Server(503, "accounting_unavailable",
                "Usage could not be recorded; the request was not served.", ShortWait),
            UpstreamFailureKind.NotConfigured => Server(502, "upstream_not_configured", "No provider is configured for this model."),
            UpstreamFailureKind.Lost => Server(503, "upstream_lost",
                "The gateway lost this request when one of its nodes stopped, before the answer was complete. Please retry.", ShortWait),
            _ => Server(502, "upstream_error", $"{provider} failed."),
        };
    }

    private static OpenAiError Server(int status, string code, string message, TimeSpan? retryAfter = null) =>
        new(status, message, "server_error", code: code, retryAfter: retryAfter);

    private static string StatusText(int? status) => status is { } s ? $"status {s}" : "no reason given";
}
