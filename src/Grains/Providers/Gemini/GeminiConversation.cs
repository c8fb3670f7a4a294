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
internal sealed class GeminiConversation : OpenAiConversation<GeminiPart, GeminiTurn>
{
    private readonly Dictionary<string, string> _functionNames = new(StringComparer.Ordinal);

    protected override string AssistantRole => "model";

    public static TranslationRefusal? Build(JsonElement messages, out GeminiConversation conversation)
    {
        conversation = new GeminiConversation();
        return conversation.Read(messages);
    }

    protected override void AddToolCall(JsonElement call, string id, string name)
    {
        _functionNames[id] = name;
        Items.Add(new GeminiPart(GeminiPartKind.FunctionCall, call));
    }

    protected override TranslationRefusal? AddToolResult(JsonElement message, int index, string id)
    {
        if (!_functionNames.TryGetValue(id, out var name))
        {
            return new TranslationRefusal(
                $"'messages[{index}].tool_call_id' names no tool call of an earlier assistant message: this model takes a tool result by the name of the function called.",
                $"messages[{index}].tool_call_id", "invalid_value");
        }

        // The parts are only checked here; the writer reads the text from the message.
        var refusal = AddContent(message, index, Items, media: false, refusals: false);
        Items.Clear();
        Leading.Add(new GeminiPart(GeminiPartKind.FunctionResponse, message, name));
        return refusal;
    }

    protected override GeminiTurn NewTurn(string role) => new(role);

    protected override string RoleOf(GeminiTurn turn) => turn.Role;

    protected override void Append(GeminiTurn turn, List<GeminiPart> leading, List<GeminiPart> items)
    {
        turn.Leading.AddRange(leading);
        turn.Parts.AddRange(items);
    }

    protected override TranslationRefusal? AddContent(JsonElement message, int index, List<GeminiPart> target, bool media, bool refusals)
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
