using System.Net.ServerSentEvents;
using System.Text.Json;
using Gateway.ApiFrontend.Chat;
using Gateway.ApiFrontend.Errors;
using Gateway.Catalog.Buffers;
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

    private readonly MessageEventWriter _writer = new();
    private readonly UnescapedUtf8 _unescaped = new();
    private readonly OpenAiToolCallPiece _toolCall = new();
    private readonly OpenAiStreamUsage _usage = new();

    private int _nextIndex;
    private Block _open;
    private long _openToolIndex = -1;
    private string? _openToolId;
    private string? _finishReason;

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

    /// <summary>
    /// <c>message_start</c>, naming the model that served as the first chunk names it (the worker writes the catalog's name of
    /// the deployment's model there, as in a whole answer), else the model asked for.
    /// </summary>
    public override void Start(byte[]? firstChunk, List<SseItem<byte[]>> events)
    {
        events.Add(_writer.MessageStart(messageId, ServedModel(firstChunk) ?? model, new MessageUsage(estimatedInputTokens, 0, 0)));
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
                _usage.Read(ref reader);
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
        var usage = MessageUsage.FromOpenAi(_usage.PromptTokens < 0 ? estimatedInputTokens : _usage.PromptTokens, _usage.CompletionTokens, _usage.CachedTokens);
        events.Add(_writer.MessageDelta(StopReasons.From(_finishReason), usage));
        events.Add(MessageEventWriter.MessageStop());
    }

    public override SseItem<byte[]> Failure(UpstreamFailure failure) => ErrorEvent(failure);

    /// <summary>The <c>error</c> event that ends a stream that failed after it began.</summary>
    public static SseItem<byte[]> ErrorEvent(UpstreamFailure failure)
    {
        using var buffer = new PooledBufferWriter(256);
        AnthropicError.From(UpstreamErrors.For(failure)).WriteTo(buffer);
        return new SseItem<byte[]>(buffer.WrittenSpan.ToArray(), "error");
    }

    /// <summary>The chunk's top-level <c>model</c>; null when it has none.</summary>
    private static string? ServedModel(byte[]? chunk)
    {
        if (chunk is null)
        {
            return null;
        }

        var reader = new Utf8JsonReader(chunk);
        return TopLevelString.Seek(ref reader, "model"u8) ? reader.GetString() : null;
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
                    Text(_unescaped.Of(ref reader), events);
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
            _toolCall.Read(ref reader);
            ToolCall(_toolCall, events);
        }
    }

    private void Text(ReadOnlySpan<byte> text, List<SseItem<byte[]>> events)
    {
        if (_open != Block.Text)
        {
            CloseOpen(events);
            events.Add(_writer.TextBlockStart(_nextIndex));
            _open = Block.Text;
        }

        events.Add(_writer.TextDelta(_nextIndex, text));
    }

    /// <summary>
    /// One tool call's piece: a call the open block is not (another index, or a new id) opens a <c>tool_use</c> block; its
    /// arguments, when there are any, are an <c>input_json_delta</c> (never an empty one, which some clients fail to parse).
    /// </summary>
    private void ToolCall(OpenAiToolCallPiece piece, List<SseItem<byte[]>> events)
    {
        var (index, id) = (piece.Index, piece.Id);
        var sameCall = _open == Block.Tool && (index < 0 || index == _openToolIndex) && (id is null || id == _openToolId);
        if (!sameCall)
        {
            CloseOpen(events);
            _openToolIndex = index;
            _openToolId = id ?? "toolu_" + Guid.NewGuid().ToString("N");
            events.Add(_writer.ToolUseBlockStart(_nextIndex, _openToolId, piece.Name ?? ""));
            _open = Block.Tool;
        }

        if (piece.Arguments.IsEmpty)
        {
            return;
        }

        events.Add(_writer.InputJsonDelta(_nextIndex, piece.Arguments));
    }

    private void CloseOpen(List<SseItem<byte[]>> events)
    {
        if (_open == Block.None)
        {
            return;
        }

        events.Add(_writer.BlockStop(_nextIndex));
        _open = Block.None;
        _nextIndex++;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _writer.Dispose();
        }

        base.Dispose(disposing);
    }
}
