using System.Text.Json;
using Gateway.Catalog.Buffers;

namespace Gateway.Grains.Caching;

/// <summary>
/// A stored completion told again as a stream: per choice, one chunk with the whole message and one with its finish
/// reason, then the usage chunk when the client asked for it (<c>stream_options.include_usage</c>).
/// </summary>
public static class CompletionReplay
{
    public static List<byte[]> Chunks(byte[] completion, bool includeUsage)
    {
        using var document = JsonDocument.Parse(completion);
        var root = document.RootElement;
        var chunks = new List<byte[]>();
        foreach (var choice in root.GetProperty("choices").EnumerateArray())
        {
            var message = choice.GetProperty("message");
            chunks.Add(Chunk(root, includeUsage, writer =>
            {
                writer.WriteStartObject();
                writer.WriteNumber("index", choice.GetProperty("index").GetInt32());
                writer.WriteStartObject("delta");
                foreach (var field in message.EnumerateObject())
                {
                    if (field.NameEquals("tool_calls") && field.Value.ValueKind == JsonValueKind.Array)
                    {
                        writer.WriteStartArray("tool_calls");
                        var index = 0;
                        foreach (var call in field.Value.EnumerateArray())
                        {
                            writer.WriteStartObject();
                            writer.WriteNumber("index", index++);
                            foreach (var member in call.EnumerateObject())
                            {
                                member.WriteTo(writer);
                            }

                            writer.WriteEndObject();
                        }

                        writer.WriteEndArray();
                    }
                    else if (field.Value.ValueKind != JsonValueKind.Null)
                    {
                        field.WriteTo(writer);
                    }
                }

                writer.WriteEndObject();
                writer.WriteNull("logprobs");
                writer.WriteNull("finish_reason");
                writer.WriteEndObject();
            }));
            chunks.Add(Chunk(root, includeUsage, writer =>
            {
                writer.WriteStartObject();
                writer.WriteNumber("index", choice.GetProperty("index").GetInt32());
                writer.WriteStartObject("delta");
                writer.WriteEndObject();
                writer.WriteNull("logprobs");
                writer.WritePropertyName("finish_reason");
                choice.GetProperty("finish_reason").WriteTo(writer);
                writer.WriteEndObject();
            }));
        }

        if (includeUsage && root.TryGetProperty("usage", out var usage))
        {
            chunks.Add(Chunk(root, includeUsage: false, writeChoice: null, usage));
        }

        return chunks;
    }

    private static byte[] Chunk(JsonElement root, bool includeUsage, Action<Utf8JsonWriter>? writeChoice, JsonElement usage = default)
    {
        using var buffer = new PooledBufferWriter(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (root.TryGetProperty("id", out var id))
            {
                writer.WritePropertyName("id");
                id.WriteTo(writer);
            }

            writer.WriteString("object", "chat.completion.chunk");
            if (root.TryGetProperty("created", out var created))
            {
                writer.WritePropertyName("created");
                created.WriteTo(writer);
            }

            writer.WritePropertyName("model");
            root.GetProperty("model").WriteTo(writer);
            if (root.TryGetProperty("system_fingerprint", out var fingerprint))
            {
                writer.WritePropertyName("system_fingerprint");
                fingerprint.WriteTo(writer);
            }

            writer.WriteStartArray("choices");
            writeChoice?.Invoke(writer);
            writer.WriteEndArray();
            if (usage.ValueKind == JsonValueKind.Object)
            {
                writer.WritePropertyName("usage");
                usage.WriteTo(writer);
            }
            else if (includeUsage)
            {
                writer.WriteNull("usage");
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
