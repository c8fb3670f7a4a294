using System.Text.Json;
using Gateway.Grains.Providers.Translation;

namespace Gateway.Grains.Providers.Anthropic;

/// <summary>
/// OpenAI chat messages as Anthropic's <c>system</c> and alternating turns. System and developer messages, wherever they
/// are, go to <c>system</c>; <c>tool</c> messages become <c>tool_result</c> blocks of a user turn, placed before anything
/// else in it, so all results of an assistant's tool calls come first in one user message; consecutive turns of the same
/// role are merged; replayed thinking goes first in its assistant turn; empty text is left out (Anthropic refuses it),
/// and a message left with nothing is dropped. Checks what Anthropic cannot take and refuses it here, before anything is
/// written.
/// </summary>
internal sealed class AnthropicConversation
{
    private readonly List<AnthropicBlock> _leading = [];
    private readonly List<AnthropicBlock> _blocks = [];

    public List<AnthropicBlock> System { get; } = [];

    public List<AnthropicTurn> Turns { get; } = [];

    public static TranslationRefusal? Build(JsonElement messages, out AnthropicConversation conversation)
    {
        conversation = new AnthropicConversation();
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
                return AddContent(message, index, System, images: false, refusals: false);
            case "user":
                refusal = AddContent(message, index, _blocks, images: true, refusals: false);
                break;
            case "assistant":
                refusal = AddAssistant(message, index);
                break;
            case "tool":
                refusal = AddToolResult(message, index);
                role = "user";
                break;
            case "function":
                return TranslationRefusal.UnsupportedValue(
                    "The legacy 'function' role is not supported by this model; send tool results as 'tool' messages.", $"messages[{index}].role");
            default:
                return new TranslationRefusal($"'messages[{index}].role' must be system, developer, user, assistant or tool.", $"messages[{index}].role", "invalid_value");
        }

        if (refusal is null && (_leading.Count > 0 || _blocks.Count > 0))
        {
            var turn = Turns.Count > 0 && Turns[^1].Role == role ? Turns[^1] : null;
            if (turn is null)
            {
                Turns.Add(turn = new AnthropicTurn(role));
            }

            turn.Leading.AddRange(_leading);
            turn.Blocks.AddRange(_blocks);
        }

        _leading.Clear();
        _blocks.Clear();
        return refusal;
    }

    private TranslationRefusal? AddAssistant(JsonElement message, int index)
    {
        if (message.TryGetProperty("function_call", out var legacy) && legacy.ValueKind != JsonValueKind.Null)
        {
            return TranslationRefusal.Unsupported(
                "The legacy 'function_call' is not supported by this model; use 'tool_calls'.", $"messages[{index}].function_call");
        }

        if (message.TryGetProperty(OpenAiReasoningFields.ThinkingBlocks, out var thinking) && thinking.ValueKind == JsonValueKind.Array)
        {
            foreach (var block in thinking.EnumerateArray())
            {
                if (IsReplayable(block))
                {
                    _leading.Add(new AnthropicBlock(AnthropicBlockKind.Thinking, block));
                }
            }
        }

        if (AddContent(message, index, _blocks, images: false, refusals: true) is { } refusal)
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

            _blocks.Add(new AnthropicBlock(AnthropicBlockKind.ToolUse, call));
            k++;
        }

        return null;
    }

    private TranslationRefusal? AddToolResult(JsonElement message, int index)
    {
        if (!message.TryGetProperty("tool_call_id", out var id) || id.ValueKind != JsonValueKind.String)
        {
            return new TranslationRefusal($"'messages[{index}].tool_call_id' is required and must be a string.", $"messages[{index}].tool_call_id", "invalid_value");
        }

        // The parts are only checked here; the writer copies them into the tool_result.
        var refusal = AddContent(message, index, _blocks, images: false, refusals: false);
        _blocks.Clear();
        _leading.Add(new AnthropicBlock(AnthropicBlockKind.ToolResult, message));
        return refusal;
    }

    private static TranslationRefusal? AddContent(JsonElement message, int index, List<AnthropicBlock> target, bool images, bool refusals)
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
            var type = part.ValueKind == JsonValueKind.Object && part.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t : default;
            if (type.ValueKind == JsonValueKind.String && type.ValueEquals("text"u8) && part.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
            {
                AddText(part, target);
            }
            else if (refusals && type.ValueKind == JsonValueKind.String && type.ValueEquals("refusal"u8) && part.TryGetProperty("refusal", out var said) && said.ValueKind == JsonValueKind.String)
            {
                AddText(said, target);
            }
            else if (images && type.ValueKind == JsonValueKind.String && type.ValueEquals("image_url"u8))
            {
                if (AnthropicImages.Read(part, $"messages[{index}].content[{j}]", out var mediaType) is { } refusal)
                {
                    return refusal;
                }

                target.Add(new AnthropicBlock(AnthropicBlockKind.Image, part, mediaType));
            }
            else
            {
                var name = type.ValueKind == JsonValueKind.String ? type.GetString() : "(none)";
                return TranslationRefusal.UnsupportedValue(
                    $"Content parts of type '{name}' are not supported by this model in 'messages[{index}].content'.", $"messages[{index}].content[{j}].type");
            }

            j++;
        }

        return null;
    }

    private static void AddText(JsonElement source, List<AnthropicBlock> target)
    {
        if (!AnthropicContent.TextOf(source).ValueEquals(""u8))
        {
            target.Add(new AnthropicBlock(AnthropicBlockKind.Text, source));
        }
    }

    // Anthropic checks a replayed block's signature: one without is refused, so it is left out.
    private static bool IsReplayable(JsonElement block) =>
        block.ValueKind == JsonValueKind.Object && block.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
        && (type.ValueEquals("thinking"u8)
            ? block.TryGetProperty("thinking", out var text) && text.ValueKind == JsonValueKind.String
              && block.TryGetProperty("signature", out var signature) && signature.ValueKind == JsonValueKind.String && !signature.ValueEquals(""u8)
            : type.ValueEquals("redacted_thinking"u8) && block.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.String);
}
