using System.Text.Json;
using Gateway.Catalog.Buffers;

namespace Gateway.ApiFrontend.Chat;

/// <summary>
/// Writes a validated chat body as the provider gets it: every member of the client's body copied through untouched
/// (tools, response_format, seed, ...) except <c>model</c>, which the worker puts in for the deployment that serves each
/// attempt, and, for a stream, <c>stream_options</c> asking for the usage chunk.
/// </summary>
public static class UpstreamChatBody
{
    /// <summary>The body to send upstream, without <c>model</c>.</summary>
    public static byte[] Write(JsonElement root, bool stream)
    {
        using var buffer = new PooledBufferWriter(4096);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            var wroteStreamOptions = false;
            foreach (var property in root.EnumerateObject())
            {
                if (property.NameEquals("model"))
                {
                    continue;
                }

                if (stream && property.NameEquals("stream_options"))
                {
                    WriteStreamOptions(writer, property.Value);
                    wroteStreamOptions = true;
                }
                else
                {
                    property.WriteTo(writer);
                }
            }

            if (stream && !wroteStreamOptions)
            {
                WriteStreamOptions(writer, default);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    // The gateway always asks for the usage chunk: it settles from it. Whether the client sees it is decided on the way back.
    private static void WriteStreamOptions(Utf8JsonWriter writer, JsonElement clientOptions)
    {
        writer.WriteStartObject("stream_options");
        if (clientOptions.ValueKind == JsonValueKind.Object)
        {
            foreach (var option in clientOptions.EnumerateObject())
            {
                if (!option.NameEquals("include_usage"))
                {
                    option.WriteTo(writer);
                }
            }
        }

        writer.WriteBoolean("include_usage", true);
        writer.WriteEndObject();
    }
}
