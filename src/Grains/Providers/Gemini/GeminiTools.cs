using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Grains.Providers.Translation;

namespace Gateway.Grains.Providers.Gemini;

/// <summary>
/// OpenAI <c>tools</c> and <c>tool_choice</c> as Gemini's <c>tools: [{functionDeclarations}]</c> and
/// <c>toolConfig.functionCallingConfig</c>: a function's <c>parameters</c> converted to Gemini's schema subset
/// (<see cref="GeminiSchema"/>), left out for a function that takes no arguments (Gemini refuses an object schema with
/// no properties); <c>auto</c>, <c>none</c>, <c>required</c> (Gemini's <c>ANY</c>) and a named function (<c>ANY</c>
/// limited to it by <c>allowedFunctionNames</c>). Gemini has no switch for parallel calls: <c>parallel_tool_calls</c> is
/// left out. Only function tools translate; legacy <c>functions</c> are refused.
/// </summary>
internal sealed class GeminiTools
{
    private readonly List<(JsonElement Function, JsonObject? Parameters)> _declarations = [];
    private string? _mode;
    private JsonElement _allowed;

    /// <summary>Checks the tool fields and converts each function's parameters.</summary>
    public static TranslationRefusal? Read(JsonElement root, out GeminiTools tools)
    {
        tools = new GeminiTools();
        foreach (var legacy in (ReadOnlySpan<string>)["functions", "function_call"])
        {
            if (root.TryGetProperty(legacy, out var value) && value.ValueKind != JsonValueKind.Null)
            {
                return TranslationRefusal.Unsupported($"The legacy '{legacy}' is not supported by this model; use 'tools' and 'tool_choice'.", legacy);
            }
        }

        if (root.TryGetProperty("tools", out var list) && list.ValueKind is not (JsonValueKind.Null or JsonValueKind.Array))
        {
            return new TranslationRefusal("'tools' must be an array.", "tools", "invalid_value");
        }

        if (list.ValueKind != JsonValueKind.Array)
        {
            return tools.ReadChoice(root);
        }

        var i = 0;
        foreach (var tool in list.EnumerateArray())
        {
            if (tool.ValueKind != JsonValueKind.Object || !tool.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || !type.ValueEquals("function"u8)
                || !tool.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object
                || !function.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
            {
                return TranslationRefusal.UnsupportedValue($"'tools[{i}]' must be a function tool with a string 'function.name'; no other tool type is supported by this model.", $"tools[{i}]");
            }

            JsonObject? parameters = null;
            if (function.TryGetProperty("parameters", out var schema) && schema.ValueKind == JsonValueKind.Object)
            {
                if (GeminiSchema.Convert(schema, $"tools[{i}].function.parameters", out var converted) is { } refusal)
                {
                    return refusal;
                }

                parameters = converted["properties"] is JsonObject { Count: > 0 } ? converted : null;
            }

            tools._declarations.Add((function, parameters));
            i++;
        }

        return tools.ReadChoice(root);
    }

    /// <summary>Writes <c>tools</c> and, when the client chose, <c>toolConfig</c>.</summary>
    public void Write(Utf8JsonWriter writer)
    {
        if (_declarations.Count == 0)
        {
            return;
        }

        writer.WriteStartArray("tools"u8);
        writer.WriteStartObject();
        writer.WriteStartArray("functionDeclarations"u8);
        foreach (var (function, parameters) in _declarations)
        {
            writer.WriteStartObject();
            writer.WritePropertyName("name"u8);
            function.GetProperty("name").WriteTo(writer);
            if (function.TryGetProperty("description", out var description) && description.ValueKind == JsonValueKind.String)
            {
                writer.WritePropertyName("description"u8);
                description.WriteTo(writer);
            }

            if (parameters is not null)
            {
                writer.WritePropertyName("parameters"u8);
                parameters.WriteTo(writer);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteEndArray();

        if (_mode is null)
        {
            return;
        }

        writer.WriteStartObject("toolConfig"u8);
        writer.WriteStartObject("functionCallingConfig"u8);
        writer.WriteString("mode"u8, _mode);
        if (_allowed.ValueKind == JsonValueKind.String)
        {
            writer.WriteStartArray("allowedFunctionNames"u8);
            _allowed.WriteTo(writer);
            writer.WriteEndArray();
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private TranslationRefusal? ReadChoice(JsonElement root)
    {
        if (!root.TryGetProperty("tool_choice", out var choice) || choice.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (choice.ValueKind == JsonValueKind.String)
        {
            _mode = choice.GetString() switch
            {
                "auto" => "AUTO",
                "none" => "NONE",
                "required" => "ANY",
                _ => null,
            };
        }
        else if (choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.ValueEquals("function"u8)
            && choice.TryGetProperty("function", out var function) && function.ValueKind == JsonValueKind.Object
            && function.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String)
        {
            _mode = "ANY";
            _allowed = name;
        }

        return _mode is null
            ? TranslationRefusal.UnsupportedValue("'tool_choice' must be 'auto', 'none', 'required' or a named function.", "tool_choice")
            : null;
    }
}
