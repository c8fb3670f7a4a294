using System.Text.Encodings.Web;
using System.Text.Json;

namespace Gateway.MockProvider;

/// <summary>
/// Writer settings shared by every response. The relaxed encoder keeps quotes and non-ASCII readable in messages
/// and echoed values; nothing the mock writes is ever embedded in HTML.
/// </summary>
internal static class MockJson
{
    public static JavaScriptEncoder Encoder => JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    public static JsonWriterOptions WriterOptions { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The request's JSON body; null when it is not JSON (answered with a 400 already) or the client left.</summary>
    public static async Task<JsonDocument?> ReadBodyAsync(HttpContext context)
    {
        try
        {
            return await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted);
        }
        catch (JsonException)
        {
            await OpenAiError.WriteInvalidRequestAsync(context, "We could not parse the JSON body of your request.");
            return null;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }
}
