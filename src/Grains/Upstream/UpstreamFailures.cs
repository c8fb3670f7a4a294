using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Gateway.Grains.Abstractions.Upstream;

namespace Gateway.Grains.Upstream;

/// <summary>
/// Maps what went wrong upstream to what the client is told: the client's own mistakes (a 4xx the provider
/// found in the request) pass through as 400-class errors; the provider's trouble becomes 502, 503 or 504.
/// </summary>
internal static class UpstreamFailures
{
    public static UpstreamFailure Draining() => new(503, "server_error", UpstreamDrain.WorkerDraining,
        "The gateway node holding this request is stopping; it was not sent. Please retry.", TimeSpan.FromSeconds(1));

    public static UpstreamFailure FromResponse(HttpStatusCode status, byte[] body, RetryConditionHeaderValue? retryAfter, string provider, DateTimeOffset now)
    {
        var code = (int)status;
        var upstreamMessage = ReadMessage(body);
        var wait = RetryAfter(retryAfter, now);
        return code switch
        {
            400 or 404 or 409 or 413 or 422 => new UpstreamFailure(
                code == 404 ? 400 : code, "invalid_request_error", "upstream_rejected",
                $"The provider rejected the request: {upstreamMessage ?? status.ToString()}", null),
            401 or 403 => new UpstreamFailure(502, "server_error", "upstream_auth_failed",
                $"The gateway could not authenticate with provider '{provider}'.", null),
            429 => new UpstreamFailure(503, "server_error", "upstream_rate_limited",
                $"Provider '{provider}' is rate limiting the gateway; try again later.", wait ?? TimeSpan.FromSeconds(1)),
            503 => new UpstreamFailure(503, "server_error", "upstream_unavailable",
                $"Provider '{provider}' is unavailable; try again later.", wait ?? TimeSpan.FromSeconds(1)),
            504 => Timeout(provider),
            _ => new UpstreamFailure(502, "server_error", "upstream_error",
                $"Provider '{provider}' failed with status {code}.", wait),
        };
    }

    public static UpstreamFailure Timeout(string provider) =>
        new(504, "server_error", "upstream_timeout", $"Provider '{provider}' did not answer in time.", null);

    public static UpstreamFailure Unreachable(string provider) =>
        new(502, "server_error", "upstream_unreachable", $"Provider '{provider}' could not be reached.", null);

    public static UpstreamFailure StreamCut(string provider) =>
        new(502, "server_error", "upstream_stream_interrupted", $"Provider '{provider}' ended the stream early.", null);

    public static UpstreamFailure NotRecorded() =>
        new(503, "server_error", "accounting_unavailable", "Usage could not be recorded; the request was not served.", TimeSpan.FromSeconds(1));

    private static TimeSpan? RetryAfter(RetryConditionHeaderValue? header, DateTimeOffset now) =>
        header?.Delta ?? (header?.Date is { } date ? date - now : null);

    private static string? ReadMessage(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.TryGetProperty("error", out var error)
                && error.ValueKind == JsonValueKind.Object
                && error.TryGetProperty("message", out var message)
                && message.ValueKind == JsonValueKind.String
                ? message.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
