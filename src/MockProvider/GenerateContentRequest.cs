using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Gateway.MockProvider;

/// <summary>
/// The parts of a Gemini <c>generateContent</c> request the mock acts on; the model comes from the path. Directives come
/// from a <c>mock</c> object or, for a request that crossed a gateway translating from OpenAI's format (which drops members
/// it does not know), from a <c>systemInstruction</c> part reading <c>mock: {...}</c>. Elements point into the parsed
/// document, valid only while it is.
/// </summary>
internal readonly record struct GenerateContentRequest(
    string Model,
    JsonElement System,
    JsonElement Contents,
    int? MaxOutputTokens,
    JsonElement Tools,
    bool Thinking,
    bool IncludeThoughts,
    MockDirectives Mock)
{
    public static bool TryParse(JsonElement root, string model, out GenerateContentRequest request, [NotNullWhen(false)] out string? error)
    {
        request = default;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = "Invalid JSON payload received. The request body must be a JSON object.";
            return false;
        }

        JsonElement system = default, contents = default, tools = default;
        int? maxOutputTokens = null;
        bool thinking = false, includeThoughts = false, mockFromBody = false;
        var mock = default(MockDirectives);
        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "contents":
                    contents = value;
                    break;
                case "systemInstruction":
                    system = value;
                    break;
                case "tools":
                    tools = value;
                    break;
                case "generationConfig" when value.ValueKind == JsonValueKind.Object:
                    if (value.TryGetProperty("maxOutputTokens"u8, out var max) && !ChatRequest.TryReadInt(max, 1, int.MaxValue, out maxOutputTokens))
                    {
                        error = "Invalid value at 'generation_config.max_output_tokens', must be a positive integer.";
                        return false;
                    }

                    if (value.TryGetProperty("thinkingConfig"u8, out var config) && config.ValueKind == JsonValueKind.Object)
                    {
                        thinking = config.TryGetProperty("thinkingBudget"u8, out var budget) && budget.ValueKind == JsonValueKind.Number
                            && budget.TryGetInt32(out var tokens) && tokens != 0;
                        includeThoughts = thinking && config.TryGetProperty("includeThoughts"u8, out var include) && include.ValueKind == JsonValueKind.True;
                    }

                    break;
                case "mock":
                    if (!ChatRequest.TryParseDirectives(value, out mock, out error))
                    {
                        return false;
                    }

                    mockFromBody = true;
                    break;
            }
        }

        if (contents.ValueKind != JsonValueKind.Array || contents.GetArrayLength() == 0)
        {
            error = "* GenerateContentRequest.contents: contents is not specified";
            return false;
        }

        if (!mockFromBody && !TryReadSystemDirectives(system, out mock, out error))
        {
            return false;
        }

        request = new GenerateContentRequest(model, system, contents, maxOutputTokens, tools, thinking, includeThoughts, mock);
        error = null;
        return true;
    }

    /// <summary>The function declarations the request offers (objects with a name), in order.</summary>
    public List<JsonElement> FunctionList()
    {
        var list = new List<JsonElement>();
        if (Tools.ValueKind != JsonValueKind.Array)
        {
            return list;
        }

        foreach (var tool in Tools.EnumerateArray())
        {
            if (tool.ValueKind == JsonValueKind.Object && tool.TryGetProperty("functionDeclarations"u8, out var declarations) && declarations.ValueKind == JsonValueKind.Array)
            {
                list.AddRange(declarations.EnumerateArray().Where(d =>
                    d.ValueKind == JsonValueKind.Object && d.TryGetProperty("name"u8, out var name) && name.ValueKind == JsonValueKind.String));
            }
        }

        return list;
    }

    private static bool TryReadSystemDirectives(JsonElement system, out MockDirectives directives, [NotNullWhen(false)] out string? error)
    {
        directives = default;
        error = null;
        if (system.ValueKind != JsonValueKind.Object || !system.TryGetProperty("parts"u8, out var parts) || parts.ValueKind != JsonValueKind.Array)
        {
            return true;
        }

        foreach (var part in parts.EnumerateArray())
        {
            if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text"u8, out var text) && text.ValueKind == JsonValueKind.String
                && !MessagesRequest.TryReadDirectiveText(text.GetString()!, ref directives, out error))
            {
                return false;
            }
        }

        return true;
    }
}
