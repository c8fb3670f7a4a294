using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Gateway.Catalog.Buffers;

namespace Gateway.ApiFrontend.Errors;

/// <summary>
/// An error in OpenAI's shape, <c>{"error":{"message","type","param","code"}}</c>, with its status code and,
/// for 429 and 503, a <c>Retry-After</c>. The one error shape of the whole API, as a response or as a stream's last event.
/// </summary>
public sealed class OpenAiError(int statusCode, string message, string type, string? param = null, string? code = null, TimeSpan? retryAfter = null) : IResult
{
    // Relaxed escaping keeps quotes and angle brackets readable; the body is JSON, never embedded in HTML.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public int StatusCode => statusCode;

    public string? Code => code;

    public string Message => message;

    /// <summary>How long the client should wait before retrying, when waiting helps.</summary>
    public TimeSpan? RetryAfter => retryAfter;

    public static OpenAiError InvalidRequest(string message, string? param = null, string? code = null) =>
        new(StatusCodes.Status400BadRequest, message, "invalid_request_error", param, code);

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        Telemetry.RequestMetrics.NoteError(httpContext, code ?? type);
        var response = httpContext.Response;
        response.StatusCode = statusCode;
        response.ContentType = "application/json";
        if (retryAfter is { } wait)
        {
            // Whole seconds, rounded up, at least one: a client that waits this long finds room.
            var seconds = Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds));
            response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        using var buffer = new PooledBufferWriter(256);
        WriteTo(buffer);
        response.ContentLength = buffer.WrittenCount;
        await response.Body.WriteAsync(buffer.WrittenMemory, httpContext.RequestAborted);
    }

    /// <summary>Writes the error's JSON.</summary>
    public void WriteTo(IBufferWriter<byte> destination)
    {
        using var writer = new Utf8JsonWriter(destination, WriterOptions);
        writer.WriteStartObject();
        writer.WriteStartObject("error");
        writer.WriteString("message", message);
        writer.WriteString("type", type);
        WriteNullable(writer, "param", param);
        WriteNullable(writer, "code", code);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }
}
