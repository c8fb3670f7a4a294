using System.Text.Json;
using Gateway.Grains.Providers.Translation;

namespace Gateway.Grains.Providers.Anthropic;

/// <summary>
/// OpenAI <c>tools</c>, <c>tool_choice</c> and <c>parallel_tool_calls</c> as Anthropic's <c>tools</c> and
/// <c>tool_choice</c>: a function's <c>parameters</c> become its <c>input_schema</c>; <c>auto</c>, <c>none</c>,
/// <c>required</c> (Anthropic's <c>any</c>) and a named function (<c>tool</c>); <c>parallel_tool_calls: false</c> becomes
/// <c>disable_parallel_tool_use</c>. Only function tools translate; legacy <c>functions</c> are refused.
/// </summary>
internal static class AnthropicTools
{
    private static readonly JsonEncodedText Auto = JsonEncodedText.Encode("auto");
    private static readonly JsonEncodedText None = JsonEncodedText.Encode("none");
    private static readonly JsonEncodedText Any = JsonEncodedText.Encode("any");

    /// <summary>Checks the tool fields; a forced tool call cannot go with thinking, which Anthropic refuses.</summary>
    public static TranslationRefusal? Check(JsonElement root, bool thinking)
    {
        foreach (var legacy in (ReadOnlySpan<string>)["functions", "function_call"])
        {
            if (root.TryGetProperty(legacy, out var value) && value.ValueKind != JsonValueKind.Null)
            {
                return TranslationRefusal.Unsupported($"The legacy '{legacy}' is not supported by this model; use 'tools' and 'tool_choice'.", legacy);
            }
        }

        if (!HasTools(root, out var tools))
        {
            return tools.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null or JsonValueKind.Array ? null
                : new TranslationRefusal("'tools' must be an array.", "tools", "invalid_value");
        }

        var i = 0;
        foreach (var tool in tools.EnumerateArray())
        {
            if (tool.ValueKind != JsonValueKind.Object || !tool.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || !type.ValueEquals("function"u8)
                || !tool.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object
                || !function.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
            {
                return TranslationRefusal.UnsupportedValue($"'tools[{i}]' must be a function tool with a string 'function.name'; no other tool type is supported by this model.", $"tools[{i}]");
            }

            i++;
        }

        if (!root.TryGetProperty("tool_choice", out var choice) || choice.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var forced = choice.ValueKind == JsonValueKind.String && choice.ValueEquals("required"u8) || NamedTool(choice).ValueKind == JsonValueKind.String;
        if (!forced && !(choice.ValueKind == JsonValueKind.String && (choice.ValueEquals("auto"u8) || choice.ValueEquals("none"u8))))
        {
            return TranslationRefusal.UnsupportedValue("'tool_choice' must be 'auto', 'none', 'required' or a named function.", "tool_choice");
        }

        return forced && thinking
            ? TranslationRefusal.Unsupported("This model cannot be forced to call a tool while it reasons: use 'tool_choice' 'auto' or leave out 'reasoning_effort'.", "tool_choice")
            : null;
    }

    /// <summary>Writes <c>tools</c> and, when the client chose or limited tool use, <c>tool_choice</c>.</summary>
    public static void Write(Utf8JsonWriter writer, JsonElement root, bool strictTools)
    {
        if (!HasTools(root, out var tools))
        {
            return;
        }

        writer.WriteStartArray("tools"u8);
        foreach (var tool in tools.EnumerateArray())
        {
            var function = tool.GetProperty("function");
            writer.WriteStartObject();
            writer.WritePropertyName("name"u8);
            function.GetProperty("name").WriteTo(writer);
            if (function.TryGetProperty("description", out var description) && description.ValueKind == JsonValueKind.String)
            {
                writer.WritePropertyName("description"u8);
                description.WriteTo(writer);
            }

            writer.WritePropertyName("input_schema"u8);
            if (function.TryGetProperty("parameters", out var parameters) && parameters.ValueKind == JsonValueKind.Object)
            {
                parameters.WriteTo(writer);
            }
            else
            {
                // A function without parameters takes none; Anthropic requires a schema all the same.
                writer.WriteStartObject();
                writer.WriteString("type"u8, "object"u8);
                writer.WriteStartObject("properties"u8);
                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            if (strictTools && function.TryGetProperty("strict", out var strict) && strict.ValueKind == JsonValueKind.True)
            {
                writer.WriteBoolean("strict"u8, true);
            }

            AnthropicContent.WriteCacheControl(writer, tool);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        WriteChoice(writer, root);
    }

    private static void WriteChoice(Utf8JsonWriter writer, JsonElement root)
    {
        var hasChoice = root.TryGetProperty("tool_choice", out var choice) && choice.ValueKind != JsonValueKind.Null;
        var serial = root.TryGetProperty("parallel_tool_calls", out var parallel) && parallel.ValueKind == JsonValueKind.False;
        if (!hasChoice && !serial)
        {
            return;
        }

        writer.WriteStartObject("tool_choice"u8);
        if (!hasChoice || (choice.ValueKind == JsonValueKind.String && choice.ValueEquals("auto"u8)))
        {
            writer.WriteString("type"u8, Auto);
        }
        else if (choice.ValueKind == JsonValueKind.String && choice.ValueEquals("none"u8))
        {
            // Anthropic's "none" takes no disable_parallel_tool_use: no tool is called at all.
            writer.WriteString("type"u8, None);
            writer.WriteEndObject();
            return;
        }
        else if (choice.ValueKind == JsonValueKind.String)
        {
            writer.WriteString("type"u8, Any);
        }
        else
        {
            writer.WriteString("type"u8, "tool"u8);
            writer.WritePropertyName("name"u8);
            NamedTool(choice).WriteTo(writer);
        }

        if (serial)
        {
            writer.WriteBoolean("disable_parallel_tool_use"u8, true);
        }

        writer.WriteEndObject();
    }

    private static bool HasTools(JsonElement root, out JsonElement tools) =>
        root.TryGetProperty("tools", out tools) && tools.ValueKind == JsonValueKind.Array && tools.GetArrayLength() > 0;

    // {"type":"function","function":{"name":"..."}} → the name; anything else → default.
    private static JsonElement NamedTool(JsonElement choice) =>
        choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.ValueEquals("function"u8)
        && choice.TryGetProperty("function", out var function) && function.ValueKind == JsonValueKind.Object
        && function.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String
            ? name : default;
}
