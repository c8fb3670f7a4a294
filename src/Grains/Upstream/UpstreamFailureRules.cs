using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Gateway.Grains.Abstractions.Upstream;

namespace Gateway.Grains.Upstream;

/// <summary>
/// How the silo reads a provider's answer into a failure kind, and which failures are retried or count against a
/// deployment's breaker. What the client is told is decided in the frontend, from the kind.
/// </summary>
internal static class UpstreamFailureRules
{
    /// <summary>Provider statuses worth another attempt: the request itself was fine, the provider was not.</summary>
    public static bool IsRetryableStatus(int status) => status is 408 or 429 or 500 or 502 or 503 or 504 or 529;

    public static bool IsRetryable(UpstreamFailure failure) => failure.Kind switch
    {
        UpstreamFailureKind.Unreachable or UpstreamFailureKind.TimedOut => true,
        UpstreamFailureKind.Overloaded or UpstreamFailureKind.RateLimited or UpstreamFailureKind.ProviderError =>
            failure.ProviderStatus is not { } status || IsRetryableStatus(status),
        _ => false,
    };

    /// <summary>Failures that say the deployment is unhealthy (a 429 cools it down instead; a refused request is the client's).</summary>
    public static bool CountsAgainstDeployment(UpstreamFailure failure) => failure.Kind is
        UpstreamFailureKind.Unreachable or UpstreamFailureKind.TimedOut or UpstreamFailureKind.Overloaded
        or UpstreamFailureKind.ProviderError or UpstreamFailureKind.BadResponse or UpstreamFailureKind.StreamCut;

    /// <summary>A provider's error status, with what it said (its OpenAI-style message, when its body has one) and when to retry.</summary>
    public static UpstreamFailure FromStatus(HttpStatusCode status, byte[] body, HttpResponseHeaders headers, string provider, DateTimeOffset now)
    {
        var code = (int)status;
        var wait = RetryAfter(headers, now);
        var kind = code switch
        {
            400 or 404 or 409 or 413 or 422 => UpstreamFailureKind.Refused,
            401 or 403 => UpstreamFailureKind.AuthFailed,
            408 or 504 => UpstreamFailureKind.TimedOut,
            429 => UpstreamFailureKind.RateLimited,
            503 or 529 => UpstreamFailureKind.Overloaded,
            _ => UpstreamFailureKind.ProviderError,
        };

        return new UpstreamFailure(kind, provider, code, kind == UpstreamFailureKind.Refused ? ReadMessage(body) : null, wait);
    }

    /// <summary><c>retry-after-ms</c> (OpenAI, Azure) when present, else <c>Retry-After</c> in seconds or as a date.</summary>
    private static TimeSpan? RetryAfter(HttpResponseHeaders headers, DateTimeOffset now)
    {
        if (headers.TryGetValues("retry-after-ms", out var values)
            && double.TryParse(values.FirstOrDefault(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var ms)
            && ms >= 0 && ms < TimeSpan.FromDays(1).TotalMilliseconds)
        {
            return TimeSpan.FromMilliseconds(ms);
        }

        var header = headers.RetryAfter;
        var wait = header?.Delta ?? (header?.Date is { } date ? date - now : null);
        return wait is { } w && w > TimeSpan.Zero ? TimeSpan.FromTicks(Math.Min(w.Ticks, TimeSpan.FromDays(1).Ticks)) : null;
    }

    private static string? ReadMessage(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var message = document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("error", out var error)
                && error.ValueKind == JsonValueKind.Object
                && error.TryGetProperty("message", out var m)
                && m.ValueKind == JsonValueKind.String
                ? m.GetString()
                : null;
            return message is { Length: > 2000 } ? message[..2000] : message;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
