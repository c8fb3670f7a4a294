using System.Text.Json;

namespace Gateway.Grains.Providers.Translation;

/// <summary>
/// Where a Gemini thought signature travels on the OpenAI side: on a tool call, as
/// <c>"extra_content":{"google":{"thought_signature":"..."}}</c>, the convention of Google's own OpenAI-compatible
/// endpoint. Gemini signs the function calls of a thinking model's answer and checks the signature when the call is sent
/// back (Gemini 3 refuses a replayed function call without it), so a client that returns its tool calls as it got them
/// keeps the signature without knowing about it.
/// </summary>
internal static class GoogleThoughtSignature
{
    /// <summary>Writes <c>extra_content</c> with the signature (a JSON string) as a member of the current object.</summary>
    public static void Write(Utf8JsonWriter writer, JsonElement signature)
    {
        writer.WriteStartObject("extra_content"u8);
        writer.WriteStartObject("google"u8);
        writer.WritePropertyName("thought_signature"u8);
        signature.WriteTo(writer);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>The signature on an OpenAI tool call, or default when it carries none.</summary>
    public static JsonElement Read(JsonElement toolCall) =>
        toolCall.TryGetProperty("extra_content", out var extra) && extra.ValueKind == JsonValueKind.Object
        && extra.TryGetProperty("google", out var google) && google.ValueKind == JsonValueKind.Object
        && google.TryGetProperty("thought_signature", out var signature) && signature.ValueKind == JsonValueKind.String
            ? signature : default;
}
