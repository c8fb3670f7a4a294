using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Gateway.MockProvider;

/// <summary>Writes errors in OpenAI's shape, <c>{"error":{"message","type","param","code"}}</c>.</summary>
internal static class OpenAiError
{
    public static Task WriteInvalidRequestAsync(HttpContext context, string message) =>
        WriteAsync(context, StatusCodes.Status400BadRequest, message, "invalid_request_error", null);

    public static Task WriteUnauthorizedAsync(HttpContext context) =>
        WriteAsync(
            context,
            StatusCodes.Status401Unauthorized,
            "Incorrect API key provided.",
            "invalid_request_error",
            "invalid_api_key");

    /// <summary>An injected failure, shaped like what OpenAI answers with that status.</summary>
    public static Task WriteFailureAsync(HttpContext context, int status, int? retryAfterSeconds)
    {
        if (retryAfterSeconds is int seconds)
        {
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        return status switch
        {
            StatusCodes.Status401Unauthorized => WriteUnauthorizedAsync(context),
            StatusCodes.Status429TooManyRequests => WriteAsync(
                context, status, "Rate limit reached for requests (mock).", "requests", "rate_limit_exceeded"),
            >= 500 => WriteAsync(
                context, status, "The server had an error while processing your request (mock).", "server_error", null),
            _ => WriteAsync(
                context, status, $"Mock failure with status {status}.", "invalid_request_error", null),
        };
    }

    public static async Task WriteAsync(HttpContext context, int status, string message, string type, string? code)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        using (var json = new Utf8JsonWriter(response.BodyWriter, MockJson.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteStartObject("error"u8);
            json.WriteString("message"u8, message);
            json.WriteString("type"u8, type);
            json.WriteNull("param"u8);
            if (code is null)
            {
                json.WriteNull("code"u8);
            }
            else
            {
                json.WriteString("code"u8, code);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        await response.BodyWriter.FlushAsync();
    }
}
