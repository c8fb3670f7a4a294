using System.Text.Json;
using Gateway.Grains.Providers.Translation;

namespace Gateway.Grains.Providers.Gemini;

/// <summary>
/// OpenAI chat messages as Gemini's <c>systemInstruction</c> and <c>contents</c>. System and developer messages, wherever
/// they are, go to <c>systemInstruction</c>; user messages are <c>user</c> contents, assistant messages <c>model</c>
/// contents (text, then a <c>functionCall</c> per tool call); a <c>tool</c> message is a <c>functionResponse</c> in a
/// <c>user</c> content, named by the function of the earlier assistant tool call with its id (Gemini matches results by
/// name, not id), placed before anything else in it; consecutive contents of the same role are merged; empty text is
/// left out and a message left with nothing is dropped (Gemini refuses a content without parts). Checks what Gemini
/// cannot take and refuses it here, before anything is written.
/// </summary>
internal sealed class GeminiConversation
{
    private readonly Dictionary<string, string> _functionNames = new(StringComparer.Ordinal);
    private readonly List<GeminiPart> _leading = [];
    private readonly List<GeminiPart> _parts = [];

    public List<GeminiPart> System { get; } = [];

    public List<GeminiTurn> Turns { get; } = [];

    public static TranslationRefusal? Build(JsonElement messages, out GeminiConversation conversation)
    {
        conversation = new GeminiConversation();
        if (messages.ValueKind != JsonValueKind.Array)
        {
            return new TranslationRefusal("'messages' is required and must be an array.", "messages", "invalid_value");
        }

        var index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            if (conversation.Add(message, index++) is { } refusal)
            {
                return refusal;
            }
        }

        return conversation.Turns.Count > 0 ? null
            : new TranslationRefusal("'messages' must hold at least one user, assistant or tool message with content.", "messages", "invalid_value");
    }

    private TranslationRefusal? Add(JsonElement message, int index)
    {
        var role = message.ValueKind == JsonValueKind.Object && message.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String
            ? r.GetString() : null;
        TranslationRefusal? refusal;
        switch (role)
        {
            case "system" or "developer":
                return AddContent(message, index, System, media: false, refusals: false);
            case "user":
                refusal = AddContent(message, index, _parts, media: true, refusals: false);
                break;
            case "assistant":
                refusal = AddAssistant(message, index);
                role = "model";
                break;
            case "tool":
                refusal = AddFunctionResponse(message, index);
                role = "user";
                break;
            case "function":
                return TranslationRefusal.UnsupportedValue(
                    "The legacy 'function' role is not supported by this model; send tool results as 'tool' messages.", $"messages[{index}].role");
            default:
                return new TranslationRefusal($"'messages[{index}].role' must be system, developer, user, assistant or tool.", $"messages[{index}].role", "invalid_value");
        }

        if (refusal is null && (_leading.Count > 0 || _parts.Count > 0))
        {
            var turn = Turns.Count > 0 && Turns[^1].Role == role ? Turns[^1] : null;
            if (turn is null)
            {
                Turns.Add(turn = new GeminiTurn(role));
            }

            turn.Leading.AddRange(_leading);
            turn.Parts.AddRange(_parts);
        }

        _leading.Clear();
        _parts.Clear();
        return refusal;
    }

    private TranslationRefusal? AddAssistant(JsonElement message, int index)
    {
        if (message.TryGetProperty("function_call", out var legacy) && legacy.ValueKind != JsonValueKind.Null)
        {
            return TranslationRefusal.Unsupported(
                "The legacy 'function_call' is not supported by this model; use 'tool_calls'.", $"messages[{index}].function_call");
        }

        if (AddContent(message, index, _parts, media: false, refusals: true) is { } refusal)
        {
            return refusal;
        }

        if (!message.TryGetProperty("tool_calls", out var calls) || calls.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (calls.ValueKind != JsonValueKind.Array)
        {
            return new TranslationRefusal($"'messages[{index}].tool_calls' must be an array.", $"messages[{index}].tool_calls", "invalid_value");
        }

        var k = 0;
        foreach (var call in calls.EnumerateArray())
        {
            if (call.ValueKind != JsonValueKind.Object
                || !call.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String
                || !call.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object
                || !function.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
                || (call.TryGetProperty("type", out var type) && (type.ValueKind != JsonValueKind.String || !type.ValueEquals("function"u8))))
            {
                return TranslationRefusal.UnsupportedValue(
                    $"'messages[{index}].tool_calls[{k}]' must be a function call with a string 'id' and 'function.name'.", $"messages[{index}].tool_calls[{k}]");
            }

            _functionNames[id.GetString()!] = name.GetString()!;
            _parts.Add(new GeminiPart(GeminiPartKind.FunctionCall, call));
            k++;
        }

        return null;
    }

    private TranslationRefusal? AddFunctionResponse(JsonElement message, int index)
    {
        if (!message.TryGetProperty("tool_call_id", out var id) || id.ValueKind != JsonValueKind.String)
        {
            return new TranslationRefusal($"'messages[{index}].tool_call_id' is required and must be a string.", $"messages[{index}].tool_call_id", "invalid_value");
        }

        if (!_functionNames.TryGetValue(id.GetString()!, out var name))
        {
            return new TranslationRefusal(
                $"'messages[{index}].tool_call_id' names no tool call of an earlier assistant message: this model takes a tool result by the name of the function called.",
                $"messages[{index}].tool_call_id", "invalid_value");
        }

        // The parts are only checked here; the writer reads the text from the message.
        var refusal = AddContent(message, index, _parts, media: false, refusals: false);
        _parts.Clear();
        _leading.Add(new GeminiPart(GeminiPartKind.FunctionResponse, message, name));
        return refusal;
    }

    private static TranslationRefusal? AddContent(JsonElement message, int index, List<GeminiPart> target, bool media, bool refusals)
    {
        if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            AddText(content, target);
            return null;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return new TranslationRefusal($"'messages[{index}].content' must be a string or an array of content parts.", $"messages[{index}].content", "invalid_value");
        }

        var j = 0;
        foreach (var part in content.EnumerateArray())
        {
            var param = $"messages[{index}].content[{j}]";
            var type = part.ValueKind == JsonValueKind.Object && part.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            TranslationRefusal? refusal = null;
            if (type == "text" && part.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
            {
                AddText(text, target);
            }
            else if (refusals && type == "refusal" && part.TryGetProperty("refusal", out var said) && said.ValueKind == JsonValueKind.String)
            {
                AddText(said, target);
            }
            else if (media && type == "image_url")
            {
                // OpenAI's shape is {"image_url":{"url":...}}; some clients send {"image_url":"..."}.
                var image = part.TryGetProperty("image_url", out var i) ? i : default;
                refusal = GeminiMedia.Read(image.ValueKind == JsonValueKind.Object && image.TryGetProperty("url", out var url) ? url : image, $"{param}.image_url", target);
            }
            else if (media && type == "input_audio")
            {
                refusal = GeminiMedia.ReadAudio(part, param, target);
            }
            else if (media && type == "file" && part.TryGetProperty("file", out var file) && file.ValueKind == JsonValueKind.Object && file.TryGetProperty("file_data", out var data))
            {
                refusal = GeminiMedia.Read(data, $"{param}.file.file_data", target);
            }
            else
            {
                return TranslationRefusal.UnsupportedValue(
                    $"Content parts of type '{type ?? "(none)"}' are not supported by this model in 'messages[{index}].content'.", $"{param}.type");
            }

            if (refusal is not null)
            {
                return refusal;
            }

            j++;
        }

        return null;
    }

    private static void AddText(JsonElement text, List<GeminiPart> target)
    {
        if (!text.ValueEquals(""u8))
        {
            target.Add(new GeminiPart(GeminiPartKind.Text, text));
        }
    }
}
