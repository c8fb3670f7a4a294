using System.Text.Json;

namespace Gateway.MockProvider;

/// <summary>
/// Writes errors in Anthropic's shape, <c>{"type":"error","error":{"type","message"}}</c>, with the error type Anthropic
/// gives each status. Its own writer, as <see cref="OpenAiError"/> is: the gateway's reading of Anthropic errors is
/// tested against bytes it did not write.
/// </summary>
internal static class AnthropicError
{
    public static Task WriteInvalidRequestAsync(HttpContext context, string message) =>
        WriteAsync(context, StatusCodes.Status400BadRequest, "invalid_request_error", message);

    public static Task WriteUnauthorizedAsync(HttpContext context) =>
        WriteAsync(context, StatusCodes.Status401Unauthorized, "authentication_error", "invalid x-api-key");

    /// <summary>An injected failure as Anthropic answers it (or an HTML page or nothing, as <paramref name="body"/> asks).</summary>
    public static Task WriteFailureAsync(
        HttpContext context, int status, int? retryAfterSeconds, int? retryAfterMilliseconds, MockErrorBody body, string? message) =>
        OpenAiError.WriteFailureAsync(context, status, retryAfterSeconds, retryAfterMilliseconds, body, message,
            static (context, status, message) => WriteAsync(context, status, TypeOf(status), message ?? $"Mock failure with status {status}."));

    /// <summary>The error type Anthropic answers a status with.</summary>
    public static string TypeOf(int status) => status switch
    {
        401 => "authentication_error",
        402 => "billing_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        504 => "timeout_error",
        529 => "overloaded_error",
        >= 500 => "api_error",
        _ => "invalid_request_error",
    };

    public static async Task WriteAsync(HttpContext context, int status, string type, string message)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        using (var json = new Utf8JsonWriter(response.BodyWriter, MockJson.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("type"u8, "error"u8);
            json.WriteStartObject("error"u8);
            json.WriteString("type"u8, type);
            json.WriteString("message"u8, message);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        await response.BodyWriter.FlushAsync();
    }
}
