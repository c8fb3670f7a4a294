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
}
