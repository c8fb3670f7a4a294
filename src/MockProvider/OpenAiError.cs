using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;

namespace Gateway.MockProvider;

/// <summary>
/// Writes errors in OpenAI's shape, <c>{"error":{"message","type","param","code"}}</c>, as the provider it stands for
/// does. Its own writer on purpose: the mock references nothing of the gateway, so the gateway's parsing of upstream
/// errors is tested against bytes it did not write.
/// </summary>
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

    /// <summary>
    /// An injected failure, shaped like what OpenAI answers with that status (or, with <paramref name="writeJson"/>, another
    /// provider's JSON) unless <paramref name="body"/> asks for an HTML page or nothing; <paramref name="message"/> replaces
    /// the stock message.
    /// </summary>
    public static Task WriteFailureAsync(
        HttpContext context,
        int status,
        int? retryAfterSeconds,
        int? retryAfterMilliseconds = null,
        MockErrorBody body = MockErrorBody.Json,
        string? message = null,
        Func<HttpContext, int, string?, Task>? writeJson = null)
    {
        var headers = context.Response.Headers;
        if (retryAfterSeconds is int seconds)
        {
            headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        if (retryAfterMilliseconds is int milliseconds)
        {
            headers["retry-after-ms"] = milliseconds.ToString(CultureInfo.InvariantCulture);
        }

        return body switch
        {
            MockErrorBody.Html => WriteHtmlAsync(context, status, message),
            MockErrorBody.Empty => WriteEmptyAsync(context, status),
            _ => (writeJson ?? WriteJsonFailureAsync)(context, status, message),
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

    private static Task WriteJsonFailureAsync(HttpContext context, int status, string? message) => status switch
    {
        StatusCodes.Status401Unauthorized when message is null => WriteUnauthorizedAsync(context),
        StatusCodes.Status401Unauthorized => WriteAsync(context, status, message, "invalid_request_error", "invalid_api_key"),
        StatusCodes.Status429TooManyRequests => WriteAsync(
            context, status, message ?? "Rate limit reached for requests (mock).", "requests", "rate_limit_exceeded"),
        >= 500 => WriteAsync(
            context, status, message ?? "The server had an error while processing your request (mock).", "server_error", null),
        _ => WriteAsync(
            context, status, message ?? $"Mock failure with status {status}.", "invalid_request_error", null),
    };

    private static async Task WriteHtmlAsync(HttpContext context, int status, string? message)
    {
        var reason = ReasonPhrases.GetReasonPhrase(status);
        var detail = message is null ? string.Empty : $"<p>{WebUtility.HtmlEncode(message)}</p>";
        var page = Encoding.UTF8.GetBytes(
            $"<html><head><title>{status} {reason}</title></head><body><h1>{status} {reason}</h1>{detail}</body></html>");
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "text/html; charset=utf-8";
        response.ContentLength = page.Length;
        await response.Body.WriteAsync(page);
    }

    private static Task WriteEmptyAsync(HttpContext context, int status)
    {
        context.Response.StatusCode = status;
        context.Response.ContentLength = 0;
        return Task.CompletedTask;
    }
}
