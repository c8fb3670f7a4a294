using System.Globalization;
using Gateway.Grains.Abstractions.Tenants;

namespace Gateway.ApiFrontend.Apis;

/// <summary>OpenAI's <c>x-ratelimit-*</c> response headers.</summary>
public static class RateLimitHeaders
{
    public static void Apply(HttpResponse response, RateLimitStatus status)
    {
        var headers = response.Headers;
        headers["x-ratelimit-limit-requests"] = status.RequestLimit.ToString(CultureInfo.InvariantCulture);
        headers["x-ratelimit-remaining-requests"] = status.RemainingRequests.ToString(CultureInfo.InvariantCulture);
        headers["x-ratelimit-reset-requests"] = Duration(status.RequestsReset);
        headers["x-ratelimit-limit-tokens"] = status.TokenLimit.ToString(CultureInfo.InvariantCulture);
        headers["x-ratelimit-remaining-tokens"] = status.RemainingTokens.ToString(CultureInfo.InvariantCulture);
        headers["x-ratelimit-reset-tokens"] = Duration(status.TokensReset);
    }

    /// <summary>A duration as OpenAI writes it: <c>20ms</c>, <c>1.5s</c>, <c>6m0s</c>.</summary>
    public static string Duration(TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            return "0s";
        }

        if (value < TimeSpan.FromSeconds(1))
        {
            return ((long)Math.Ceiling(value.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture) + "ms";
        }

        var minutes = (long)value.TotalMinutes;
        var seconds = Math.Round(value.TotalSeconds - minutes * 60, 3);
        var s = seconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";
        return minutes > 0 ? minutes.ToString(CultureInfo.InvariantCulture) + "m" + s : s;
    }
}
