using System.Text.Json;

namespace Gateway.MockProvider;

/// <summary>
/// Writes errors in Gemini's shape, <c>{"error":{"code","message","status"}}</c>, with the <c>google.rpc</c> status Gemini
/// gives each HTTP status. Its own writer, as <see cref="AnthropicError"/> is: the gateway's reading of Gemini errors is
/// tested against bytes it did not write.
/// </summary>
internal static class GoogleError
{
    public static Task WriteInvalidArgumentAsync(HttpContext context, string message) =>
        WriteAsync(context, StatusCodes.Status400BadRequest, message);

    /// <summary>No key: 403 <c>PERMISSION_DENIED</c>; a wrong one: 401 <c>UNAUTHENTICATED</c>.</summary>
    public static Task WriteUnauthorizedAsync(HttpContext context, bool keyMissing) => keyMissing
        ? WriteAsync(context, StatusCodes.Status403Forbidden, "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.")
        : WriteAsync(context, StatusCodes.Status401Unauthorized, "API key not valid. Please pass a valid API key.");

    /// <summary>An injected failure as Gemini answers it (or an HTML page or nothing, as <paramref name="body"/> asks).</summary>
    public static Task WriteFailureAsync(
        HttpContext context, int status, int? retryAfterSeconds, int? retryAfterMilliseconds, MockErrorBody body, string? message) =>
        OpenAiError.WriteFailureAsync(context, status, retryAfterSeconds, retryAfterMilliseconds, body, message,
            static (context, status, message) => WriteAsync(context, status, message ?? $"Mock failure with status {status}."));

    /// <summary>The <c>google.rpc.Code</c> name Gemini answers an HTTP status with.</summary>
    public static string StatusOf(int status) => status switch
    {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ABORTED",
        429 => "RESOURCE_EXHAUSTED",
        499 => "CANCELLED",
        501 => "UNIMPLEMENTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        >= 500 => "INTERNAL",
        _ => "INVALID_ARGUMENT",
    };

    public static async Task WriteAsync(HttpContext context, int status, string message)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json; charset=UTF-8";
        using (var json = new Utf8JsonWriter(response.BodyWriter, MockJson.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteStartObject("error"u8);
            json.WriteNumber("code"u8, status);
            json.WriteString("message"u8, message);
            json.WriteString("status"u8, StatusOf(status));
            json.WriteEndObject();
            json.WriteEndObject();
        }

        await response.BodyWriter.FlushAsync();
    }
}
