using System.Text.Json;

namespace Gateway.ApiFrontend.Messages;

/// <summary>A tool call's arguments (OpenAI: a JSON text) as a <c>tool_use</c> input (Anthropic: a JSON object).</summary>
internal static class ToolInput
{
    /// <summary>Writes the arguments' object; an empty or unreadable text, or one that is not an object, as <c>{}</c>.</summary>
    public static void Write(string? arguments, Utf8JsonWriter writer)
    {
        if (!string.IsNullOrWhiteSpace(arguments))
        {
            try
            {
                using var parsed = JsonDocument.Parse(arguments);
                if (parsed.RootElement.ValueKind == JsonValueKind.Object)
                {
                    parsed.RootElement.WriteTo(writer);
                    return;
                }
            }
            catch (JsonException)
            {
                // A model's malformed arguments: the call is kept, with no input, rather than the whole answer lost.
            }
        }

        writer.WriteStartObject();
        writer.WriteEndObject();
    }
}
