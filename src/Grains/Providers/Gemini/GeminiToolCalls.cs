using System.Text.Json;
using Gateway.Grains.Providers.Translation;

namespace Gateway.Grains.Providers.Gemini;

/// <summary>
/// Gemini's <c>functionCall</c> parts as OpenAI tool calls. Gemini gives a call an <c>id</c> only sometimes; OpenAI
/// clients need one to answer the call, so a call without is given <c>call_{responseId}_{candidate}_{n}</c>: the same
/// for the same response (a completion and its stream agree), distinct between the calls of an answer and between
/// answers. The request translation does not need the id back: it names a result by the function of the call.
/// </summary>
internal static class GeminiToolCalls
{
    public static string Id(JsonElement call, string? responseId, int candidate, int n) =>
        call.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String && !id.ValueEquals(""u8)
            ? id.GetString()!
            : $"call_{responseId}_{candidate}_{n}";

    public static string Name(JsonElement call) =>
        call.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String ? name.GetString()! : "";

    /// <summary>The call's arguments as raw JSON: its <c>args</c> object, or <c>{}</c> for a function called without arguments.</summary>
    public static ReadOnlySpan<byte> Arguments(JsonElement call) =>
        call.TryGetProperty("args", out var args) && args.ValueKind == JsonValueKind.Object
            ? System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(args)
            : "{}"u8;

    /// <summary>The part's <c>thoughtSignature</c>, or default.</summary>
    public static JsonElement Signature(JsonElement part) =>
        part.TryGetProperty("thoughtSignature", out var signature) && signature.ValueKind == JsonValueKind.String ? signature : default;

    /// <summary>Writes one OpenAI <c>tool_calls</c> entry of a completion.</summary>
    public static void Write(Utf8JsonWriter writer, JsonElement part, JsonElement call, string? responseId, int candidate, int n)
    {
        writer.WriteStartObject();
        writer.WriteString("id"u8, Id(call, responseId, candidate, n));
        writer.WriteString("type"u8, "function"u8);
        if (Signature(part) is { ValueKind: JsonValueKind.String } signature)
        {
            GoogleThoughtSignature.Write(writer, signature);
        }

        writer.WriteStartObject("function"u8);
        writer.WriteString("name"u8, Name(call));
        writer.WriteString("arguments"u8, Arguments(call));
        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}
