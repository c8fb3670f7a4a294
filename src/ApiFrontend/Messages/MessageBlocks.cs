using System.Text.Json;

namespace Gateway.ApiFrontend.Messages;

/// <summary>One Anthropic message's content blocks written as the OpenAI chat messages that carry the same turn.</summary>
internal static class MessageBlocks
{
    /// <summary>
    /// A user turn: its <c>tool_result</c> blocks first, each a <c>tool</c> message (OpenAI wants them right after the
    /// assistant's calls), then its text and images as one user message (images of tool results included, which a
    /// <c>tool</c> message cannot carry). Blocks of other types go to <paramref name="nativeOnly"/>.
    /// </summary>
    public static AnthropicError? WriteUser(JsonElement content, string at, Utf8JsonWriter writer, NativeOnlyParts nativeOnly)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            WriteText(writer, "user", content);
            return null;
        }

        var index = 0;
        var parts = 0;
        var images = 0;
        var skipped = 0;
        foreach (var block in content.EnumerateArray())
        {
            var blockAt = $"{at}.content.{index++}";
            if (!TryType(block, out var type))
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
                    if (ImageUrl(block) is null)
                    {
                        return MessagesRequestTranslator.Invalid($"{blockAt}.source: an image needs a base64 source (media_type, data) or a url source");
                    }

                    parts++;
                    images++;
                    break;
                case "thinking" or "redacted_thinking":
                    return MessagesRequestTranslator.Invalid($"{blockAt}: thinking blocks belong to assistant messages");
                default:
                    nativeOnly.Add(Unsupported(blockAt, type), block);
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
            writer.WriteString("content", JoinText(content));
        }
        else
        {
            writer.WriteStartArray("content");
            foreach (var block in content.EnumerateArray())
            {
                TryType(block, out var type);
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
                    WriteImagePart(writer, ImageUrl(block)!);
                }
                else if (type == "tool_result" && block.TryGetProperty("content", out var result) && result.ValueKind == JsonValueKind.Array)
                {
                    foreach (var inner in result.EnumerateArray())
                    {
                        if (TryType(inner, out var innerType) && innerType == "image")
                        {
                            WriteImagePart(writer, ImageUrl(inner)!);
                        }
                    }
                }
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
        return null;
    }

    /// <summary>
    /// An assistant turn: its text as the content, its <c>tool_use</c> blocks as <c>tool_calls</c>; thinking blocks dropped;
    /// blocks of other types to <paramref name="nativeOnly"/>.
    /// </summary>
    public static AnthropicError? WriteAssistant(JsonElement content, string at, Utf8JsonWriter writer, NativeOnlyParts nativeOnly)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            WriteText(writer, "assistant", content);
            return null;
        }

        var index = 0;
        var calls = 0;
        foreach (var block in content.EnumerateArray())
        {
            var blockAt = $"{at}.content.{index++}";
            if (!TryType(block, out var type))
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
                    break;
                default:
                    nativeOnly.Add(Unsupported(blockAt, type), block);
                    break;
            }
        }

        writer.WriteStartObject();
        writer.WriteString("role", "assistant");
        var joined = JoinText(content);
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
                if (TryType(block, out var type) && type == "tool_use")
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
                    if (!TryType(inner, out var type) || type is not ("text" or "image"))
                    {
                        return MessagesRequestTranslator.Invalid($"{innerAt}.type: a tool result holds text and image blocks");
                    }

                    if (type == "image")
                    {
                        if (ImageUrl(inner) is null)
                        {
                            return MessagesRequestTranslator.Invalid($"{innerAt}.source: an image needs a base64 source (media_type, data) or a url source");
                        }

                        images++;
                    }
                    else if (!inner.TryGetProperty("text", out var part) || part.ValueKind != JsonValueKind.String)
                    {
                        return MessagesRequestTranslator.Invalid($"{innerAt}.text: Field required");
                    }
                }

                text = JoinText(content);
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

    private static void WriteText(Utf8JsonWriter writer, string role, JsonElement text)
    {
        writer.WriteStartObject();
        writer.WriteString("role", role);
        writer.WritePropertyName("content");
        text.WriteTo(writer);
        writer.WriteEndObject();
    }

    private static void WriteImagePart(Utf8JsonWriter writer, string url)
    {
        writer.WriteStartObject();
        writer.WriteString("type", "image_url");
        writer.WriteStartObject("image_url");
        writer.WriteString("url", url);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>The text blocks of a list, joined by blank lines.</summary>
    private static string JoinText(JsonElement blocks)
    {
        string? single = null;
        System.Text.StringBuilder? joined = null;
        foreach (var block in blocks.EnumerateArray())
        {
            if (!TryType(block, out var type) || type != "text")
            {
                continue;
            }

            var text = block.GetProperty("text").GetString()!;
            if (single is null)
            {
                single = text;
            }
            else
            {
                (joined ??= new System.Text.StringBuilder(single)).Append("\n\n").Append(text);
            }
        }

        return joined?.ToString() ?? single ?? "";
    }

    /// <summary>An image block's source as an OpenAI image URL: a data URI for base64 data, the URL itself for a url source.</summary>
    private static string? ImageUrl(JsonElement block)
    {
        if (!block.TryGetProperty("source", out var source) || source.ValueKind != JsonValueKind.Object
            || !source.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        if (type.ValueEquals("base64") && source.TryGetProperty("media_type", out var media) && media.ValueKind == JsonValueKind.String
            && source.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.String)
        {
            return $"data:{media.GetString()};base64,{data.GetString()}";
        }

        return type.ValueEquals("url") && source.TryGetProperty("url", out var url) && url.ValueKind == JsonValueKind.String ? url.GetString() : null;
    }

    private static bool TryType(JsonElement block, out string? type)
    {
        type = block.ValueKind == JsonValueKind.Object && block.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        return type is not null;
    }

    private static string Unsupported(string at, string? type) =>
        $"{at}.type: the block type '{type}' can only be sent to a model served by Anthropic";
}
