using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using Gateway.Catalog.Buffers;
using Gateway.Grains.Providers.Translation;

namespace Gateway.Grains.Providers.Anthropic;

/// <summary>
/// An Anthropic Messages response as an OpenAI <c>chat.completion</c>: text blocks joined into <c>content</c>,
/// <c>tool_use</c> blocks as <c>tool_calls</c> (the input object as the <c>arguments</c> string), thinking as
/// <c>reasoning_content</c> and <c>thinking_blocks</c> (see <see cref="OpenAiReasoningFields"/>), never in the content;
/// the stop reason as a finish reason (<see cref="AnthropicStopReasons"/>) and the usage as OpenAI counts it
/// (<see cref="AnthropicUsage"/>). Server-tool blocks (web search and the like) have no OpenAI form and are left out.
/// </summary>
public static class AnthropicResponseTranslator
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// False when <paramref name="body"/> is not a Messages response (not JSON, not a <c>message</c>, no content): a bad
    /// response. <paramref name="usage"/> is null when the response reports no valid usage (the gateway then counts).
    /// <paramref name="model"/> is the name the client knows the model by (Anthropic's own when null).
    /// </summary>
    public static bool TryTranslate(ReadOnlyMemory<byte> body, string? model, long created,
        [NotNullWhen(true)] out byte[]? completion, out AnthropicUsage? usage)
    {
        completion = null;
        usage = null;
        if (!JsonObjectBody.TryParse(body, out var document))
        {
            return false;
        }

        using (document)
        {
            var root = document.RootElement;
            if (!root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || !type.ValueEquals("message"u8)
                || !root.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.Array)
            {
                return false;
            }

            if (root.TryGetProperty("usage", out var usageElement) && AnthropicUsage.TryRead(usageElement, out var read))
            {
                usage = read;
            }

            using var buffer = new PooledBufferWriter(body.Length + 256);
            using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
            {
                writer.WriteStartObject();
                WriteString(writer, "id"u8, root, "id");
                writer.WriteString("object"u8, "chat.completion"u8);
                writer.WriteNumber("created"u8, created);
                if (model is not null)
                {
                    writer.WriteString("model"u8, model);
                }
                else
                {
                    WriteString(writer, "model"u8, root, "model");
                }

                writer.WriteStartArray("choices"u8);
                writer.WriteStartObject();
                writer.WriteNumber("index"u8, 0);
                WriteMessage(writer, root, content);
                writer.WriteNull("logprobs"u8);
                var stopReason = root.TryGetProperty("stop_reason", out var stop) && stop.ValueKind == JsonValueKind.String ? stop.GetString() : null;
                writer.WriteString("finish_reason"u8, AnthropicStopReasons.ToFinishReason(stopReason));
                writer.WriteEndObject();
                writer.WriteEndArray();
                usage?.WriteOpenAi(writer);
                writer.WriteEndObject();
            }

            completion = buffer.WrittenSpan.ToArray();
            return true;
        }
    }

    private static void WriteMessage(Utf8JsonWriter writer, JsonElement root, JsonElement content)
    {
        var text = new JsonStringJoiner();
        var reasoning = new JsonStringJoiner();
        var hasText = false;
        var hasThinking = false;
        var hasTools = false;
        foreach (var block in content.EnumerateArray())
        {
            var kind = KindOf(block);
            if (kind == "text" && block.TryGetProperty("text", out var part) && part.ValueKind == JsonValueKind.String)
            {
                text.AppendQuoted(JsonMarshal.GetRawUtf8Value(part));
                hasText = true;
            }
            else if (kind is "thinking" or "redacted_thinking")
            {
                hasThinking = true;
                if (block.TryGetProperty("thinking", out var thought) && thought.ValueKind == JsonValueKind.String)
                {
                    reasoning.AppendQuoted(JsonMarshal.GetRawUtf8Value(thought));
                }
            }
            else if (kind == "tool_use")
            {
                hasTools = true;
            }
        }

        writer.WriteStartObject("message"u8);
        writer.WriteString("role"u8, "assistant"u8);
        writer.WritePropertyName("content"u8);
        if (hasText || !hasTools)
        {
            text.WriteValue(writer);
        }
        else
        {
            writer.WriteNullValue();
        }

        WriteRefusal(writer, root);
        if (hasThinking)
        {
            writer.WritePropertyName(OpenAiReasoningFields.ReasoningContent);
            reasoning.WriteValue(writer);
            writer.WriteStartArray(OpenAiReasoningFields.ThinkingBlocks);
            foreach (var block in content.EnumerateArray())
            {
                if (KindOf(block) is "thinking" or "redacted_thinking")
                {
                    block.WriteTo(writer);
                }
            }

            writer.WriteEndArray();
        }

        if (hasTools)
        {
            writer.WriteStartArray("tool_calls"u8);
            foreach (var block in content.EnumerateArray())
            {
                if (KindOf(block) == "tool_use")
                {
                    WriteToolCall(writer, block);
                }
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    private static void WriteToolCall(Utf8JsonWriter writer, JsonElement block)
    {
        writer.WriteStartObject();
        WriteString(writer, "id"u8, block, "id");
        writer.WriteString("type"u8, "function"u8);
        writer.WriteStartObject("function"u8);
        WriteString(writer, "name"u8, block, "name");
        writer.WriteString("arguments"u8, block.TryGetProperty("input", out var input) && input.ValueKind == JsonValueKind.Object
            ? JsonMarshal.GetRawUtf8Value(input)
            : "{}"u8);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    // A refusal's explanation, when Anthropic gives one, is OpenAI's message.refusal.
    private static void WriteRefusal(Utf8JsonWriter writer, JsonElement root)
    {
        if (root.TryGetProperty("stop_details", out var details) && details.ValueKind == JsonValueKind.Object
            && details.TryGetProperty("explanation", out var explanation) && explanation.ValueKind == JsonValueKind.String)
        {
            writer.WritePropertyName("refusal"u8);
            explanation.WriteTo(writer);
        }
        else
        {
            writer.WriteNull("refusal"u8);
        }
    }

    private static string? KindOf(JsonElement block) =>
        block.ValueKind == JsonValueKind.Object && block.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String ? type.GetString() : null;

    private static void WriteString(Utf8JsonWriter writer, ReadOnlySpan<byte> name, JsonElement parent, string property)
    {
        writer.WritePropertyName(name);
        if (parent.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String)
        {
            value.WriteTo(writer);
        }
        else
        {
            writer.WriteStringValue(""u8);
        }
    }
}
