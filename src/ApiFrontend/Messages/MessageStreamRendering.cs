using System.Buffers;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Gateway.ApiFrontend.Chat;
using Gateway.ApiFrontend.Errors;
using Gateway.Grains.Abstractions.Upstream;

namespace Gateway.ApiFrontend.Messages;

/// <summary>
/// OpenAI chunks as Anthropic's stream: <c>message_start</c> (with every usage field), then content blocks opened one at
/// a time with consecutive indices (<c>content_block_start</c>, deltas of the block's own kind, <c>content_block_stop</c>),
/// then <c>message_delta</c> with the stop reason and the whole usage, and <c>message_stop</c>; a <c>ping</c> after the
/// start and whenever the upstream is silent; an <c>error</c> event when the stream fails after it began. Each chunk is
/// read once with a <see cref="Utf8JsonReader"/>, its text copied from the chunk's bytes into the event's.
/// </summary>
internal sealed class MessageStreamRendering(string messageId, string model, int estimatedInputTokens) : ChatStreamRendering
{
    /// <summary>How long the upstream may be silent before the client gets a <c>ping</c>.</summary>
    public static readonly TimeSpan SilencePing = TimeSpan.FromSeconds(5);

    private static readonly byte[] PingData = """{"type":"ping"}"""u8.ToArray();

    private readonly ArrayBufferWriter<byte> _event = new(256);
    private readonly ArrayBufferWriter<byte> _arguments = new(64);
    private Utf8JsonWriter? _writer;
    private byte[]? _scratch;

    private int _nextIndex;
    private Block _open;
    private long _openToolIndex = -1;
    private string? _openToolId;
    private string? _finishReason;
    private long _promptTokens = -1;
    private long _completionTokens;
    private long _cachedTokens;

    private enum Block
    {
        None,
        Text,
        Tool,
    }

    public override TimeSpan? PingInterval => SilencePing;

    public override SseItem<byte[]> Ping() => PingEvent();

    /// <summary>Anthropic's <c>ping</c> event.</summary>
    public static SseItem<byte[]> PingEvent() => new(PingData, "ping");

    public override void Start(List<SseItem<byte[]>> events)
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
        new MessageUsage(estimatedInputTokens, 0, 0).WriteTo(writer);
        writer.WriteEndObject();
        writer.WriteEndObject();
        events.Add(End("message_start"));
        events.Add(Ping());
    }

    public override void Chunk(byte[] data, List<SseItem<byte[]>> events)
    {
        var reader = new Utf8JsonReader(data);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("choices"u8))
            {
                reader.Read();
                ReadChoices(ref reader, events);
            }
            else if (reader.ValueTextEquals("usage"u8))
            {
                reader.Read();
                ReadUsage(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    public override void End(List<SseItem<byte[]>> events)
    {
        CloseOpen(events);
        var writer = Begin();
        writer.WriteStartObject();
        writer.WriteString("type", "message_delta");
        writer.WriteStartObject("delta");
        writer.WriteString("stop_reason", StopReasons.From(_finishReason));
        writer.WriteNull("stop_sequence");
        writer.WriteEndObject();
        MessageUsage.FromOpenAi(_promptTokens < 0 ? estimatedInputTokens : _promptTokens, _completionTokens, _cachedTokens).WriteTo(writer);
        writer.WriteEndObject();
        events.Add(End("message_delta"));
        events.Add(new SseItem<byte[]>("""{"type":"message_stop"}"""u8.ToArray(), "message_stop"));
    }

    public override SseItem<byte[]> Failure(UpstreamFailure failure) => ErrorEvent(failure);

    /// <summary>The <c>error</c> event that ends a stream that failed after it began.</summary>
    public static SseItem<byte[]> ErrorEvent(UpstreamFailure failure)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        AnthropicError.From(UpstreamErrors.For(failure)).WriteTo(buffer);
        return new SseItem<byte[]>(buffer.WrittenSpan.ToArray(), "error");
    }

    private void ReadChoices(ref Utf8JsonReader reader, List<SseItem<byte[]>> events)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return;
        }

        var first = true;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            // One answer: the Messages API has no n; only the first choice is the message.
            if (!first || reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            first = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("delta"u8))
                {
                    reader.Read();
                    ReadDelta(ref reader, events);
                }
                else if (reader.ValueTextEquals("finish_reason"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        _finishReason = reader.GetString();
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
    }

    private void ReadDelta(ref Utf8JsonReader reader, List<SseItem<byte[]>> events)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("content"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && (reader.HasValueSequence || reader.ValueSpan.Length > 0))
                {
                    Text(Unescaped(ref reader), events);
                }
            }
            else if (reader.ValueTextEquals("tool_calls"u8))
            {
                reader.Read();
                ReadToolCalls(ref reader, events);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private void ReadToolCalls(ref Utf8JsonReader reader, List<SseItem<byte[]>> events)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            long index = -1;
            string? id = null;
            string? name = null;
            _arguments.ResetWrittenCount();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("index"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var i))
                    {
                        index = i;
                    }
                }
                else if (reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    id = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else if (reader.ValueTextEquals("function"u8))
                {
                    reader.Read();
                    ReadFunction(ref reader, ref name);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            ToolCall(index, id, name, events);
        }
    }

    private void ReadFunction(ref Utf8JsonReader reader, ref string? name)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("name"u8))
            {
                reader.Read();
                name = reader.TokenType == JsonTokenType.String ? reader.GetString() : name;
            }
            else if (reader.ValueTextEquals("arguments"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    _arguments.Write(Unescaped(ref reader));
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private void ReadUsage(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("prompt_tokens"u8))
            {
                reader.Read();
                _promptTokens = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var n) ? n : _promptTokens;
            }
            else if (reader.ValueTextEquals("completion_tokens"u8))
            {
                reader.Read();
                _completionTokens = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var n) ? n : _completionTokens;
            }
            else if (reader.ValueTextEquals("prompt_tokens_details"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }

                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var cached = reader.ValueTextEquals("cached_tokens"u8);
                    reader.Read();
                    if (cached && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var n))
                    {
                        _cachedTokens = n;
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private void Text(ReadOnlySpan<byte> text, List<SseItem<byte[]>> events)
    {
        if (_open != Block.Text)
        {
            CloseOpen(events);
            var start = Begin();
            start.WriteStartObject();
            start.WriteString("type", "content_block_start");
            start.WriteNumber("index", _nextIndex);
            start.WriteStartObject("content_block");
            start.WriteString("type", "text");
            start.WriteString("text", ""u8);
            start.WriteEndObject();
            start.WriteEndObject();
            events.Add(End("content_block_start"));
            _open = Block.Text;
        }

        var writer = Begin();
        writer.WriteStartObject();
        writer.WriteString("type", "content_block_delta");
        writer.WriteNumber("index", _nextIndex);
        writer.WriteStartObject("delta");
        writer.WriteString("type", "text_delta");
        writer.WriteString("text", text);
        writer.WriteEndObject();
        writer.WriteEndObject();
        events.Add(End("content_block_delta"));
    }

    /// <summary>
    /// One tool call's piece: a call the open block is not (another index, or a new id) opens a <c>tool_use</c> block; its
    /// arguments, when there are any, are an <c>input_json_delta</c> (never an empty one, which some clients fail to parse).
    /// </summary>
    private void ToolCall(long index, string? id, string? name, List<SseItem<byte[]>> events)
    {
        var sameCall = _open == Block.Tool && (index < 0 || index == _openToolIndex) && (id is null || id == _openToolId);
        if (!sameCall)
        {
            CloseOpen(events);
            _openToolIndex = index;
            _openToolId = id ?? "toolu_" + Guid.NewGuid().ToString("N");
            var start = Begin();
            start.WriteStartObject();
            start.WriteString("type", "content_block_start");
            start.WriteNumber("index", _nextIndex);
            start.WriteStartObject("content_block");
            start.WriteString("type", "tool_use");
            start.WriteString("id", _openToolId);
            start.WriteString("name", name ?? "");
            start.WriteStartObject("input");
            start.WriteEndObject();
            start.WriteEndObject();
            start.WriteEndObject();
            events.Add(End("content_block_start"));
            _open = Block.Tool;
        }

        if (_arguments.WrittenCount == 0)
        {
            return;
        }

        var writer = Begin();
        writer.WriteStartObject();
        writer.WriteString("type", "content_block_delta");
        writer.WriteNumber("index", _nextIndex);
        writer.WriteStartObject("delta");
        writer.WriteString("type", "input_json_delta");
        writer.WriteString("partial_json", _arguments.WrittenSpan);
        writer.WriteEndObject();
        writer.WriteEndObject();
        events.Add(End("content_block_delta"));
    }

    private void CloseOpen(List<SseItem<byte[]>> events)
    {
        if (_open == Block.None)
        {
            return;
        }

        var writer = Begin();
        writer.WriteStartObject();
        writer.WriteString("type", "content_block_stop");
        writer.WriteNumber("index", _nextIndex);
        writer.WriteEndObject();
        events.Add(End("content_block_stop"));
        _open = Block.None;
        _nextIndex++;
    }

    /// <summary>A string token's UTF-8 without its JSON escapes (its own bytes when it has none).</summary>
    private ReadOnlySpan<byte> Unescaped(ref Utf8JsonReader reader)
    {
        if (!reader.HasValueSequence && !reader.ValueIsEscaped)
        {
            return reader.ValueSpan;
        }

        var length = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        if (_scratch is null || _scratch.Length < length)
        {
            _scratch = new byte[Math.Max(length, 256)];
        }

        var written = reader.CopyString(_scratch);
        return _scratch.AsSpan(0, written);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _writer?.Dispose();
        }

        base.Dispose(disposing);
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
