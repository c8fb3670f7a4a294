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
internal sealed class AnthropicConversation : OpenAiConversation<AnthropicBlock, AnthropicTurn>
{
    public static TranslationRefusal? Build(JsonElement messages, out AnthropicConversation conversation)
    {
        conversation = new AnthropicConversation();
        return conversation.Read(messages);
    }

    protected override void AddAssistantLeading(JsonElement message)
    {
        if (message.TryGetProperty(OpenAiReasoningFields.ThinkingBlocks, out var thinking) && thinking.ValueKind == JsonValueKind.Array)
        {
            foreach (var block in thinking.EnumerateArray())
            {
                if (IsReplayable(block))
                {
                    Leading.Add(new AnthropicBlock(AnthropicBlockKind.Thinking, block));
                }
            }
        }
    }

    protected override void AddToolCall(JsonElement call, string id, string name) => Items.Add(new AnthropicBlock(AnthropicBlockKind.ToolUse, call));

    protected override TranslationRefusal? AddToolResult(JsonElement message, int index, string id)
    {
        // The parts are only checked here; the writer copies them into the tool_result.
        var refusal = AddContent(message, index, Items, media: false, refusals: false);
        Items.Clear();
        Leading.Add(new AnthropicBlock(AnthropicBlockKind.ToolResult, message));
        return refusal;
    }

    protected override AnthropicTurn NewTurn(string role) => new(role);

    protected override string RoleOf(AnthropicTurn turn) => turn.Role;

    protected override void Append(AnthropicTurn turn, List<AnthropicBlock> leading, List<AnthropicBlock> items)
    {
        turn.Leading.AddRange(leading);
        turn.Blocks.AddRange(items);
    }

    protected override TranslationRefusal? AddContent(JsonElement message, int index, List<AnthropicBlock> target, bool media, bool refusals)
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
            else if (media && type.ValueKind == JsonValueKind.String && type.ValueEquals("image_url"u8))
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
