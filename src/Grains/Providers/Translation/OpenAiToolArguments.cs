using System.Text.Json;

namespace Gateway.Grains.Providers.Translation;

/// <summary>
/// OpenAI carries a tool call's arguments as a string of JSON that the model produced and that may be empty or broken;
/// Anthropic (<c>input</c>) and Gemini (<c>args</c>) want an object. Anything that is not a JSON object is sent as an
/// empty one.
/// </summary>
internal static class OpenAiToolArguments
{
    /// <summary>Writes the arguments (a JSON string of an object, or an object) as an object value.</summary>
    public static void Write(Utf8JsonWriter writer, JsonElement arguments)
    {
        if (arguments.ValueKind == JsonValueKind.Object)
        {
            arguments.WriteTo(writer);
            return;
        }

        if (arguments.ValueKind == JsonValueKind.String && arguments.GetString() is { } text && !string.IsNullOrWhiteSpace(text))
        {
            try
            {
                using var parsed = JsonDocument.Parse(text);
                if (parsed.RootElement.ValueKind == JsonValueKind.Object)
                {
                    parsed.RootElement.WriteTo(writer);
                    return;
                }
            }
            catch (JsonException)
            {
            }
        }

        writer.WriteStartObject();
        writer.WriteEndObject();
    }
}
