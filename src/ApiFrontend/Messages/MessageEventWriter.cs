using System.Buffers;
using System.Net.ServerSentEvents;
using System.Text.Json;

namespace Gateway.ApiFrontend.Messages;

/// <summary>
/// Anthropic's stream events as SSE items, each written into one buffer and writer reused for the whole stream (a
/// translated stream writes several events per upstream chunk, so nothing but the event's own bytes is allocated).
/// </summary>
internal sealed class MessageEventWriter : IDisposable
{
    private readonly ArrayBufferWriter<byte> _event = new(256);
    private Utf8JsonWriter? _writer;

    /// <summary><c>message_start</c>: the message with no content yet and its usage so far.</summary>
    public SseItem<byte[]> MessageStart(string messageId, string model, MessageUsage usage)
    {
        var writer = Begin();
        writer.WriteStartObject();
        writer.WriteString("type", "message_start");
        writer.WriteStartObject("message");
        writer.WriteString("id", messageId);
        writer.WriteString("type", "message");
        writer.WriteString("role", "assistant");
        writer.WriteString("model", model);
        writer.WriteStartArray("content");
        writer.WriteEndArray();
        writer.WriteNull("stop_reason");
        writer.WriteNull("stop_sequence");
        usage.WriteTo(writer);
        writer.WriteEndObject();
        writer.WriteEndObject();
        return End("message_start");
    }

    /// <summary><c>content_block_start</c> of an empty text block.</summary>
    public SseItem<byte[]> TextBlockStart(int index)
    {
        var start = BlockStart(index, "text");
        start.WriteString("text", ""u8);
        return BlockStartEnd();
    }

    /// <summary>A <c>text_delta</c> of the text block at <paramref name="index"/>.</summary>
    public SseItem<byte[]> TextDelta(int index, ReadOnlySpan<byte> text) => BlockDelta(index, "text_delta", "text", text);

    /// <summary><c>content_block_start</c> of a <c>tool_use</c> block with an empty input (its arguments follow as deltas).</summary>
    public SseItem<byte[]> ToolUseBlockStart(int index, string id, string name)
    {
        var start = BlockStart(index, "tool_use");
        start.WriteString("id", id);
        start.WriteString("name", name);
        start.WriteStartObject("input");
        start.WriteEndObject();
        return BlockStartEnd();
    }

    /// <summary>An <c>input_json_delta</c> of the <c>tool_use</c> block at <paramref name="index"/>.</summary>
    public SseItem<byte[]> InputJsonDelta(int index, ReadOnlySpan<byte> partialJson) =>
        BlockDelta(index, "input_json_delta", "partial_json", partialJson);

    /// <summary><c>content_block_stop</c> of the block at <paramref name="index"/>.</summary>
    public SseItem<byte[]> BlockStop(int index)
    {
        var writer = Begin();
        writer.WriteStartObject();
        writer.WriteString("type", "content_block_stop");
        writer.WriteNumber("index", index);
        writer.WriteEndObject();
        return End("content_block_stop");
    }

    /// <summary><c>message_delta</c>: the stop reason and the whole (cumulative) usage.</summary>
    public SseItem<byte[]> MessageDelta(string stopReason, MessageUsage usage)
    {
        var writer = Begin();
        writer.WriteStartObject();
        writer.WriteString("type", "message_delta");
        writer.WriteStartObject("delta");
        writer.WriteString("stop_reason", stopReason);
        writer.WriteNull("stop_sequence");
        writer.WriteEndObject();
        usage.WriteTo(writer);
        writer.WriteEndObject();
        return End("message_delta");
    }

    /// <summary><c>message_stop</c>, the stream's last event.</summary>
    public static SseItem<byte[]> MessageStop() => new("""{"type":"message_stop"}"""u8.ToArray(), "message_stop");

    public void Dispose() => _writer?.Dispose();

    /// <summary>A <c>content_block_delta</c> of the block at <paramref name="index"/>: its delta's type and one field.</summary>
    private SseItem<byte[]> BlockDelta(int index, string deltaType, string field, ReadOnlySpan<byte> value)
    {
        var writer = Begin();
        writer.WriteStartObject();
        writer.WriteString("type", "content_block_delta");
        writer.WriteNumber("index", index);
        writer.WriteStartObject("delta");
        writer.WriteString("type", deltaType);
        writer.WriteString(field, value);
        writer.WriteEndObject();
        writer.WriteEndObject();
        return End("content_block_delta");
    }

    /// <summary>Opens a <c>content_block_start</c> event and its block of <paramref name="type"/>; the caller adds the block's fields.</summary>
    private Utf8JsonWriter BlockStart(int index, string type)
    {
        var start = Begin();
        start.WriteStartObject();
        start.WriteString("type", "content_block_start");
        start.WriteNumber("index", index);
        start.WriteStartObject("content_block");
        start.WriteString("type", type);
        return start;
    }

    /// <summary>Closes the block and the event <see cref="BlockStart"/> opened.</summary>
    private SseItem<byte[]> BlockStartEnd()
    {
        _writer!.WriteEndObject();
        _writer.WriteEndObject();
        return End("content_block_start");
    }

    private Utf8JsonWriter Begin()
    {
        _event.ResetWrittenCount();
        if (_writer is null)
        {
            _writer = new Utf8JsonWriter(_event, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        }
        else
        {
            _writer.Reset(_event);
        }

        return _writer;
    }

    private SseItem<byte[]> End(string eventType)
    {
        _writer!.Flush();
        return new SseItem<byte[]>(_event.WrittenSpan.ToArray(), eventType);
    }
}
