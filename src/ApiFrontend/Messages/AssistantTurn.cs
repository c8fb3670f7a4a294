using System.Text.Json;

namespace Gateway.ApiFrontend.Messages;

/// <summary>An Anthropic assistant turn written as the OpenAI chat message that carries it.</summary>
internal static class AssistantTurn
{
    /// <summary>
    /// An assistant turn: its text as the content, its <c>tool_use</c> blocks as <c>tool_calls</c>; thinking blocks dropped
    /// (counted all the same: an Anthropic provider gets them and may bill them as input);
    /// blocks of other types to <paramref name="nativeOnly"/>.
    /// </summary>
    public static AnthropicError? Write(JsonElement content, string at, Utf8JsonWriter writer, NativeOnlyParts nativeOnly)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            MessageBlocks.WriteText(writer, "assistant", content);
            return null;
        }

        var index = 0;
        var calls = 0;
        foreach (var block in content.EnumerateArray())
        {
            var blockAt = $"{at}.content.{index++}";
            if (!MessageBlocks.TryType(block, out var type))
            {
                return MessagesRequestTranslator.Invalid($"{blockAt}.type: Field required");
            }

            switch (type)
            {
                case "text":
                    if (!block.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
                    {
                        return MessagesRequestTranslator.Invalid($"{blockAt}.text: Field required");
                    }

                    break;
                case "tool_use":
                    if (!block.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String
                        || !block.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
                    {
                        return MessagesRequestTranslator.Invalid($"{blockAt}: a tool_use block needs an id and a name");
                    }

                    calls++;
                    break;
                case "thinking" or "redacted_thinking":
                    nativeOnly.Count(block);
                    break;
                default:
                    nativeOnly.Add(MessageBlocks.Unsupported(blockAt, type), block);
                    break;
            }
        }

        writer.WriteStartObject();
        writer.WriteString("role", "assistant");
        var joined = MessageBlocks.JoinText(content);
        if (joined.Length > 0 || calls == 0)
        {
            writer.WriteString("content", joined);
        }
        else
        {
            writer.WriteNull("content");
        }

        if (calls > 0)
        {
            writer.WriteStartArray("tool_calls");
            foreach (var block in content.EnumerateArray())
            {
                if (MessageBlocks.TryType(block, out var type) && type == "tool_use")
                {
                    writer.WriteStartObject();
                    writer.WritePropertyName("id");
                    block.GetProperty("id").WriteTo(writer);
                    writer.WriteString("type", "function");
                    writer.WriteStartObject("function");
                    writer.WritePropertyName("name");
                    block.GetProperty("name").WriteTo(writer);

                    // OpenAI carries the arguments as a JSON text.
                    writer.WriteString("arguments", block.TryGetProperty("input", out var input) && input.ValueKind != JsonValueKind.Null ? input.GetRawText() : "{}");
                    writer.WriteEndObject();
                    writer.WriteEndObject();
                }
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
        return null;
    }
}
