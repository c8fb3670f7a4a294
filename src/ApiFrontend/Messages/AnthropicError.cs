using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Gateway.ApiFrontend.Errors;
using Gateway.Catalog.Buffers;

namespace Gateway.ApiFrontend.Messages;

/// <summary>
/// An error in Anthropic's shape, <c>{"type":"error","error":{"type","message"}}</c>, as <c>/v1/messages</c> answers it:
/// Anthropic's error type for the status, <c>retry-after</c> when waiting helps, and <c>x-should-retry: false</c> when it
/// does not (a spent budget or quota), which Anthropic's SDKs obey before their own retry rules.
/// </summary>
public sealed class AnthropicError(int statusCode, string type, string message, TimeSpan? retryAfter = null, bool? shouldRetry = null) : IResult
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Anthropic's status for a gateway that is full or whose providers are overloaded.</summary>
    public const int Overloaded = 529;

    public int StatusCode => statusCode;

    public string Type => type;

    public static AnthropicError InvalidRequest(string message) => new(StatusCodes.Status400BadRequest, "invalid_request_error", message);

    /// <summary>
    /// The gateway's error (made for its OpenAI surface) in Anthropic's words: the same message and, mostly, the same
    /// status; the gateway's own capacity refusals and an overloaded provider become Anthropic's 529.
    /// </summary>
    public static AnthropicError From(OpenAiError error)
    {
        var status = error.Code switch
        {
            "capacity_exceeded" or "upstream_unavailable" or "upstream_rate_limited" => Overloaded,
            _ => error.StatusCode,
        };
        var shouldRetry = error.Code == "insufficient_quota" ? false : (bool?)null;
        return new AnthropicError(status, TypeFor(status), error.Message, error.RetryAfter, shouldRetry);
    }

    /// <summary>
    /// An endpoint's or filter's result in Anthropic's words when it is an error in OpenAI's shape (typed results,
    /// <c>Results&lt;...&gt;</c>, carry it inside); any other result as it is.
    /// </summary>
    public static object? FromResult(object? result) =>
        (result is INestedHttpResult nested ? nested.Result : result) is OpenAiError openAi ? From(openAi) : result;

    /// <summary>Anthropic's error type for a status.</summary>
    public static string TypeFor(int status) => status switch
    {
        400 or 415 or 422 => "invalid_request_error",
        401 => "authentication_error",
        402 => "billing_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        504 => "timeout_error",
        Overloaded => "overloaded_error",
        < 500 => "invalid_request_error",
        _ => "api_error",
    };

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = statusCode;
        response.ContentType = "application/json";
        if (retryAfter is { } wait)
        {
            // Whole seconds, rounded up, at least one: a client that waits this long finds room.
            response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        if (shouldRetry is { } retry)
        {
            response.Headers["x-should-retry"] = retry ? "true" : "false";
        }

        using var buffer = new PooledBufferWriter(256);
        WriteTo(buffer);
        response.ContentLength = buffer.WrittenCount;
        await response.Body.WriteAsync(buffer.WrittenMemory, httpContext.RequestAborted);
    }

    /// <summary>Writes the error's JSON (also the data of a stream's <c>error</c> event).</summary>
    public void WriteTo(IBufferWriter<byte> destination)
    {
        using var writer = new Utf8JsonWriter(destination, WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("type", "error");
        writer.WriteStartObject("error");
        writer.WriteString("type", type);
        writer.WriteString("message", message);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}
