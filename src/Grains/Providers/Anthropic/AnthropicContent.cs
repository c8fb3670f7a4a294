using System.Text.Json;
using Gateway.Grains.Providers.Translation;

namespace Gateway.Grains.Providers.Anthropic;

/// <summary>
/// Writes the blocks of a translated request from the OpenAI JSON they point at: text, images, <c>tool_use</c> (arguments
/// parsed into the JSON object Anthropic wants; empty or invalid arguments become <c>{}</c>), <c>tool_result</c> and
/// replayed thinking.
/// </summary>
internal static class AnthropicContent
{
    public static void WriteMessages(Utf8JsonWriter writer, List<AnthropicTurn> turns)
    {
        writer.WriteStartArray("messages"u8);
        foreach (var turn in turns)
        {
            writer.WriteStartObject();
            writer.WriteString("role"u8, turn.Role);
            writer.WriteStartArray("content"u8);
            foreach (var block in turn.Leading)
            {
                WriteBlock(writer, block);
            }

            foreach (var block in turn.Blocks)
            {
                WriteBlock(writer, block);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    public static void WriteBlock(Utf8JsonWriter writer, AnthropicBlock block)
    {
        switch (block.Kind)
        {
            case AnthropicBlockKind.Text:
                WriteText(writer, block.Source);
                break;
            case AnthropicBlockKind.Image:
                AnthropicImages.Write(writer, block);
                break;
            case AnthropicBlockKind.ToolUse:
                WriteToolUse(writer, block.Source);
                break;
            case AnthropicBlockKind.ToolResult:
                WriteToolResult(writer, block.Source);
                break;
            case AnthropicBlockKind.Thinking:
                WriteThinking(writer, block.Source);
                break;
        }
    }

    /// <summary>The text of a JSON string or of an OpenAI text part.</summary>
    public static JsonElement TextOf(JsonElement source) => source.ValueKind == JsonValueKind.String ? source : source.GetProperty("text");

    /// <summary>Copies a part's <c>cache_control</c> (a convention of OpenAI clients that know Anthropic) onto its block.</summary>
    public static void WriteCacheControl(Utf8JsonWriter writer, JsonElement source)
    {
        if (source.ValueKind == JsonValueKind.Object && source.TryGetProperty("cache_control", out var cache) && cache.ValueKind == JsonValueKind.Object)
        {
            writer.WritePropertyName("cache_control"u8);
            cache.WriteTo(writer);
        }
    }

    private static void WriteText(Utf8JsonWriter writer, JsonElement source)
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "text"u8);
        writer.WritePropertyName("text"u8);
        TextOf(source).WriteTo(writer);
        WriteCacheControl(writer, source);
        writer.WriteEndObject();
    }

    private static void WriteThinking(Utf8JsonWriter writer, JsonElement block)
    {
        writer.WriteStartObject();
        if (block.GetProperty("type").ValueEquals("redacted_thinking"u8))
        {
            writer.WriteString("type"u8, "redacted_thinking"u8);
            writer.WritePropertyName("data"u8);
            block.GetProperty("data").WriteTo(writer);
        }
        else
        {
            writer.WriteString("type"u8, "thinking"u8);
            writer.WritePropertyName("thinking"u8);
            block.GetProperty("thinking").WriteTo(writer);
            writer.WritePropertyName("signature"u8);
            block.GetProperty("signature").WriteTo(writer);
        }

        writer.WriteEndObject();
    }

    private static void WriteToolUse(Utf8JsonWriter writer, JsonElement call)
    {
        var function = call.GetProperty("function");
        writer.WriteStartObject();
        writer.WriteString("type"u8, "tool_use"u8);
        writer.WriteString("id"u8, AnthropicToolIds.ToAnthropic(call.GetProperty("id").GetString()!));
        writer.WritePropertyName("name"u8);
        function.GetProperty("name").WriteTo(writer);
        writer.WritePropertyName("input"u8);
        OpenAiToolArguments.Write(writer, function.TryGetProperty("arguments", out var arguments) ? arguments : default);
        writer.WriteEndObject();
    }

    private static void WriteToolResult(Utf8JsonWriter writer, JsonElement message)
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "tool_result"u8);
        writer.WriteString("tool_use_id"u8, AnthropicToolIds.ToAnthropic(message.GetProperty("tool_call_id").GetString()!));
        if (message.TryGetProperty("content", out var content))
        {
            if (content.ValueKind == JsonValueKind.String && !content.ValueEquals(""u8))
            {
                writer.WritePropertyName("content"u8);
                content.WriteTo(writer);
            }
            else if (content.ValueKind == JsonValueKind.Array && HasText(content))
            {
                writer.WriteStartArray("content"u8);
                foreach (var part in content.EnumerateArray())
                {
                    if (!TextOf(part).ValueEquals(""u8))
                    {
                        WriteText(writer, part);
                    }
                }

                writer.WriteEndArray();
            }
        }

        writer.WriteEndObject();
    }

    private static bool HasText(JsonElement parts)
    {
        foreach (var part in parts.EnumerateArray())
        {
            if (!TextOf(part).ValueEquals(""u8))
            {
                return true;
            }
        }

        return false;
    }
}
