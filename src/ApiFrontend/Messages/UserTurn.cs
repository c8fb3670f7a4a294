using System.Text.Json;

namespace Gateway.ApiFrontend.Messages;

/// <summary>An Anthropic user turn written as the OpenAI chat messages that carry it.</summary>
internal static class UserTurn
{
    /// <summary>
    /// A user turn: its <c>tool_result</c> blocks first, each a <c>tool</c> message (OpenAI wants them right after the
    /// assistant's calls), then its text and images as one user message (images of tool results included, which a
    /// <c>tool</c> message cannot carry). Blocks of other types go to <paramref name="nativeOnly"/>.
    /// </summary>
    public static AnthropicError? Write(JsonElement content, string at, Utf8JsonWriter writer, NativeOnlyParts nativeOnly)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            MessageBlocks.WriteText(writer, "user", content);
            return null;
        }

        var index = 0;
        var parts = 0;
        var images = 0;
        var skipped = 0;
        foreach (var block in content.EnumerateArray())
        {
            var blockAt = $"{at}.content.{index++}";
            if (!MessageBlocks.TryType(block, out var type))
            {
                return MessagesRequestTranslator.Invalid($"{blockAt}.type: Field required");
            }

            switch (type)
            {
                case "tool_result":
                    if (WriteToolResult(block, blockAt, writer, ref images) is { } error)
                    {
                        return error;
                    }

                    break;
                case "text":
                    if (!block.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
                    {
                        return MessagesRequestTranslator.Invalid($"{blockAt}.text: Field required");
                    }

                    parts++;
                    break;
                case "image":
                    if (MessageBlocks.CheckImage(block, blockAt) is { } imageError)
                    {
                        return imageError;
                    }

                    parts++;
                    images++;
                    break;
                case "thinking" or "redacted_thinking":
                    return MessagesRequestTranslator.Invalid($"{blockAt}: thinking blocks belong to assistant messages");
                default:
                    nativeOnly.Add(MessageBlocks.Unsupported(blockAt, type), block);
                    skipped++;
                    break;
            }
        }

        if (parts == 0 && images == 0 && skipped == 0)
        {
            return null;
        }

        writer.WriteStartObject();
        writer.WriteString("role", "user");
        if (images == 0)
        {
            writer.WriteString("content", MessageBlocks.JoinText(content));
        }
        else
        {
            writer.WriteStartArray("content");
            foreach (var block in content.EnumerateArray())
            {
                MessageBlocks.TryType(block, out var type);
                if (type == "text")
                {
                    writer.WriteStartObject();
                    writer.WriteString("type", "text");
                    writer.WritePropertyName("text");
                    block.GetProperty("text").WriteTo(writer);
                    writer.WriteEndObject();
                }
                else if (type == "image")
                {
                    MessageBlocks.WriteImagePart(writer, MessageBlocks.ImageUrl(block)!);
                }
                else if (type == "tool_result" && block.TryGetProperty("content", out var result) && result.ValueKind == JsonValueKind.Array)
                {
                    foreach (var inner in result.EnumerateArray())
                    {
                        if (MessageBlocks.TryType(inner, out var innerType) && innerType == "image")
                        {
                            MessageBlocks.WriteImagePart(writer, MessageBlocks.ImageUrl(inner)!);
                        }
                    }
                }
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
        return null;
    }


    private static AnthropicError? WriteToolResult(JsonElement block, string at, Utf8JsonWriter writer, ref int images)
    {
        if (!block.TryGetProperty("tool_use_id", out var id) || id.ValueKind != JsonValueKind.String)
        {
            return MessagesRequestTranslator.Invalid($"{at}.tool_use_id: Field required");
        }

        var text = "";
        if (block.TryGetProperty("content", out var content) && content.ValueKind != JsonValueKind.Null)
        {
            if (content.ValueKind == JsonValueKind.String)
            {
                text = content.GetString()!;
            }
            else if (content.ValueKind == JsonValueKind.Array)
            {
                var index = 0;
                foreach (var inner in content.EnumerateArray())
                {
                    var innerAt = $"{at}.content.{index++}";
                    if (!MessageBlocks.TryType(inner, out var type) || type is not ("text" or "image"))
                    {
                        return MessagesRequestTranslator.Invalid($"{innerAt}.type: a tool result holds text and image blocks");
                    }

                    if (type == "image")
                    {
                        if (MessageBlocks.CheckImage(inner, innerAt) is { } imageError)
                        {
                            return imageError;
                        }

                        images++;
                    }
                    else if (!inner.TryGetProperty("text", out var part) || part.ValueKind != JsonValueKind.String)
                    {
                        return MessagesRequestTranslator.Invalid($"{innerAt}.text: Field required");
                    }
                }

                text = MessageBlocks.JoinText(content);
            }
            else
            {
                return MessagesRequestTranslator.Invalid($"{at}.content: Input should be a string or a list of blocks");
            }
        }

        writer.WriteStartObject();
        writer.WriteString("role", "tool");
        writer.WritePropertyName("tool_call_id");
        id.WriteTo(writer);
        writer.WriteString("content", block.TryGetProperty("is_error", out var isError) && isError.ValueKind == JsonValueKind.True ? "Error: " + text : text);
        writer.WriteEndObject();
        return null;
    }
}
