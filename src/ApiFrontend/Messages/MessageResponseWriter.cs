using System.Text.Json;
using Gateway.Catalog.Buffers;

namespace Gateway.ApiFrontend.Messages;

/// <summary>
/// An OpenAI chat completion (the first choice) written as an Anthropic message: its text as a text block, each tool call
/// as a <c>tool_use</c> block with its arguments as the input object, the finish reason as the stop reason, the usage
/// split Anthropic's way.
/// </summary>
public static class MessageResponseWriter
{
    public static byte[] Write(byte[] completion, string messageId, string model)
    {
        using var document = JsonDocument.Parse(completion);
        var root = document.RootElement;
        using var buffer = new PooledBufferWriter(completion.Length + 256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id", messageId);
            writer.WriteString("type", "message");
            writer.WriteString("role", "assistant");
            writer.WriteString("model", root.TryGetProperty("model", out var served) && served.ValueKind == JsonValueKind.String ? served.GetString() : model);
            writer.WriteStartArray("content");
            string? finish = null;
            if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0)
            {
                var choice = choices[0];
                finish = choice.TryGetProperty("finish_reason", out var reason) && reason.ValueKind == JsonValueKind.String ? reason.GetString() : null;
                if (choice.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object)
                {
                    WriteContent(message, writer);
                }
            }

            writer.WriteEndArray();
            writer.WriteString("stop_reason", StopReasons.From(finish));
            writer.WriteNull("stop_sequence");
            (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object ? MessageUsage.FromOpenAi(usage) : default).WriteTo(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteContent(JsonElement message, Utf8JsonWriter writer)
    {
        if (message.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String && content.GetString() is { Length: > 0 })
        {
            writer.WriteStartObject();
            writer.WriteString("type", "text");
            writer.WritePropertyName("text");
            content.WriteTo(writer);
            writer.WriteEndObject();
        }

        if (!message.TryGetProperty("tool_calls", out var calls) || calls.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        foreach (var call in calls.EnumerateArray())
        {
            if (!call.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            writer.WriteStartObject();
            writer.WriteString("type", "tool_use");
            writer.WriteString("id", call.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : "toolu_" + Guid.NewGuid().ToString("N"));
            writer.WriteString("name", function.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String ? name.GetString() : "");
            writer.WritePropertyName("input");
            ToolInput.Write(function.TryGetProperty("arguments", out var arguments) && arguments.ValueKind == JsonValueKind.String ? arguments.GetString() : null, writer);
            writer.WriteEndObject();
        }
    }
}
