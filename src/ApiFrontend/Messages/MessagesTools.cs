using System.Text.Json;

namespace Gateway.ApiFrontend.Messages;

/// <summary>
/// A Messages request's <c>tools</c> as OpenAI functions (server tools left to <see cref="NativeOnlyParts"/>) and its
/// <c>tool_choice</c> as OpenAI's, <c>disable_parallel_tool_use</c> as <c>parallel_tool_calls: false</c>.
/// </summary>
internal static class MessagesTools
{
    public static AnthropicError? Write(JsonElement root, Utf8JsonWriter writer, NativeOnlyParts nativeOnly)
    {
        var hasTools = root.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array && tools.GetArrayLength() > 0;
        if (hasTools)
        {
            writer.WriteStartArray("tools");
            var index = 0;
            foreach (var tool in tools.EnumerateArray())
            {
                var at = $"tools.{index++}";
                if (tool.ValueKind != JsonValueKind.Object || !tool.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
                {
                    return MessagesRequestTranslator.Invalid($"{at}.name: Field required");
                }

                if (tool.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && !type.ValueEquals("custom"))
                {
                    // A server tool runs at Anthropic: it has no input_schema, and no other provider can run it.
                    nativeOnly.Add($"{at}.type: the server tool '{type.GetString()}' can only be used with a model served by Anthropic", tool);
                    continue;
                }

                writer.WriteStartObject();
                writer.WriteString("type", "function");
                writer.WriteStartObject("function");
                writer.WritePropertyName("name");
                name.WriteTo(writer);
                if (tool.TryGetProperty("description", out var description) && description.ValueKind == JsonValueKind.String)
                {
                    writer.WritePropertyName("description");
                    description.WriteTo(writer);
                }

                writer.WritePropertyName("parameters");
                if (tool.TryGetProperty("input_schema", out var schema) && schema.ValueKind == JsonValueKind.Object)
                {
                    schema.WriteTo(writer);
                }
                else
                {
                    return MessagesRequestTranslator.Invalid($"{at}.input_schema: Field required");
                }

                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        if (!root.TryGetProperty("tool_choice", out var choice) || choice.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (choice.ValueKind != JsonValueKind.Object || !choice.TryGetProperty("type", out var kind) || kind.ValueKind != JsonValueKind.String)
        {
            return MessagesRequestTranslator.Invalid("tool_choice.type: Field required");
        }

        if (kind.ValueEquals("auto"))
        {
            writer.WriteString("tool_choice", "auto");
        }
        else if (kind.ValueEquals("any"))
        {
            writer.WriteString("tool_choice", "required");
        }
        else if (kind.ValueEquals("none"))
        {
            writer.WriteString("tool_choice", "none");
        }
        else if (kind.ValueEquals("tool") && choice.TryGetProperty("name", out var toolName) && toolName.ValueKind == JsonValueKind.String)
        {
            writer.WriteStartObject("tool_choice");
            writer.WriteString("type", "function");
            writer.WriteStartObject("function");
            writer.WritePropertyName("name");
            toolName.WriteTo(writer);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        else
        {
            return MessagesRequestTranslator.Invalid("tool_choice: Input should be of type auto, any, tool (with a name) or none");
        }

        if (hasTools && choice.TryGetProperty("disable_parallel_tool_use", out var serial) && serial.ValueKind == JsonValueKind.True)
        {
            writer.WriteBoolean("parallel_tool_calls", false);
        }

        return null;
    }
}
