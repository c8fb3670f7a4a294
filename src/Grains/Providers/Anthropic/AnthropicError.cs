using System.Text.Json;
using Gateway.Grains.Abstractions.Upstream;

namespace Gateway.Grains.Providers.Anthropic;

/// <summary>
/// An error Anthropic reported, <c>{"type":"error","error":{"type","message"}}</c> (as a response body or as a stream's
/// <c>error</c> event), with the failure kind the gateway relays it as.
/// </summary>
public sealed record AnthropicError(string Type, string Message)
{
    public UpstreamFailureKind Kind => Type switch
    {
        "overloaded_error" => UpstreamFailureKind.Overloaded,
        "rate_limit_error" => UpstreamFailureKind.RateLimited,
        // A billing error is the gateway's account at Anthropic, as a refused key is: nothing the client can fix.
        "authentication_error" or "permission_error" or "billing_error" => UpstreamFailureKind.AuthFailed,
        "invalid_request_error" or "not_found_error" or "request_too_large" => UpstreamFailureKind.Refused,
        "timeout_error" => UpstreamFailureKind.TimedOut,
        _ => UpstreamFailureKind.ProviderError,
    };

    /// <summary>Reads an error object (the value of the <c>error</c> member); missing fields read as <c>api_error</c> and an empty message.</summary>
    public static AnthropicError Read(JsonElement error)
    {
        string? type = null, message = null;
        if (error.ValueKind == JsonValueKind.Object)
        {
            if (error.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String) type = t.GetString();
            if (error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String) message = m.GetString();
        }

        return new AnthropicError(type ?? "api_error", message ?? "");
    }
}
