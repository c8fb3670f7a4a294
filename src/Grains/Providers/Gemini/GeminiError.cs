using System.Text.Json;
using Gateway.Grains.Abstractions.Upstream;

namespace Gateway.Grains.Providers.Gemini;

/// <summary>
/// An error Gemini reported, <c>{"error":{"code","message","status"}}</c> (a response body, or an event of a stream that
/// failed after it began), with the failure kind the gateway relays it as. <see cref="Code"/> is the HTTP status Gemini
/// gave, <see cref="Status"/> the <c>google.rpc.Code</c> name, which decides the kind when present.
/// </summary>
public sealed record GeminiError(int Code, string Status, string Message)
{
    public UpstreamFailureKind Kind => Status switch
    {
        "RESOURCE_EXHAUSTED" => UpstreamFailureKind.RateLimited,
        "UNAVAILABLE" => UpstreamFailureKind.Overloaded,
        "DEADLINE_EXCEEDED" => UpstreamFailureKind.TimedOut,
        // FAILED_PRECONDITION is the gateway's account at Google (billing not enabled, region without a free tier), as a
        // refused key is: nothing the client can fix.
        "UNAUTHENTICATED" or "PERMISSION_DENIED" or "FAILED_PRECONDITION" => UpstreamFailureKind.AuthFailed,
        "INVALID_ARGUMENT" or "NOT_FOUND" or "OUT_OF_RANGE" or "ALREADY_EXISTS" => UpstreamFailureKind.Refused,
        "INTERNAL" or "UNKNOWN" or "DATA_LOSS" or "UNIMPLEMENTED" or "ABORTED" or "CANCELLED" => UpstreamFailureKind.ProviderError,
        _ => Code switch
        {
            429 => UpstreamFailureKind.RateLimited,
            503 => UpstreamFailureKind.Overloaded,
            504 => UpstreamFailureKind.TimedOut,
            401 or 403 => UpstreamFailureKind.AuthFailed,
            400 or 404 or 409 or 413 or 422 => UpstreamFailureKind.Refused,
            _ => UpstreamFailureKind.ProviderError,
        },
    };

    /// <summary>Reads an error object (the value of the <c>error</c> member); missing fields read as 0, <c>UNKNOWN</c> and an empty message.</summary>
    public static GeminiError Read(JsonElement error)
    {
        var code = 0;
        string? status = null, message = null;
        if (error.ValueKind == JsonValueKind.Object)
        {
            if (error.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.Number && c.TryGetInt32(out var read))
            {
                code = read;
            }

            if (error.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String)
            {
                status = s.GetString();
            }

            if (error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String)
            {
                message = m.GetString();
            }
        }

        return new GeminiError(code, status ?? "UNKNOWN", message ?? "");
    }

    /// <summary>
    /// Reads an error response body: <c>{"error":{...}}</c>, or the same as the first element of an array (as
    /// <c>streamGenerateContent</c> without <c>alt=sse</c> answers). False when the body is not such an error.
    /// </summary>
    public static bool TryReadBody(ReadOnlyMemory<byte> body, out GeminiError? error)
    {
        error = null;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Array && root.GetArrayLength() > 0)
            {
                root = root[0];
            }

            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("error", out var value) || value.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            error = Read(value);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
