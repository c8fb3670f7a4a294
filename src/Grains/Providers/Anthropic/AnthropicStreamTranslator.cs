using System.Runtime.InteropServices;
using System.Text.Json;
using Gateway.Grains.Providers.Translation;

namespace Gateway.Grains.Providers.Anthropic;

/// <summary>
/// Turns the events of one Anthropic Messages stream (the <c>data</c> of each SSE event, which carries its own
/// <c>type</c>) into OpenAI <c>chat.completion.chunk</c> payloads:
/// <list type="bullet">
/// <item><c>message_start</c>: the first chunk, <c>{"role":"assistant","content":""}</c>, and the initial usage.</item>
/// <item>Text deltas as <c>content</c>; thinking as <c>reasoning_content</c> and, when a thinking block ends, its whole
/// block in <c>thinking_blocks</c> (see <see cref="OpenAiReasoningFields"/>).</item>
/// <item>Each <c>tool_use</c> block is a tool call with its own OpenAI <c>index</c> (0, 1, 2 in order of appearance, the
/// bug of Portkey #1275): its start carries the id and the name, each non-empty <c>input_json_delta</c> a piece of
/// <c>arguments</c> copied byte for byte (a piece may end mid-token: the pieces joined are the whole JSON), and a tool
/// whose arguments never came gets <c>{}</c> when its block ends (the bug of LiteLLM #5063).</item>
/// <item><c>message_delta</c>: the stop reason, and usage that is cumulative: it replaces the counts, never adds.</item>
/// <item><c>message_stop</c>: the finish chunk, then (when <c>includeUsage</c>) the usage chunk without choices.</item>
/// <item><c>error</c>: <see cref="AnthropicStreamStep.Failed"/> with <see cref="Error"/>; <c>ping</c> and event types it does not know: nothing.</item>
/// </list>
/// Delta events, nearly all of a stream, are read with a <see cref="Utf8JsonReader"/> and their strings relayed without
/// decoding; the others are rare and read as documents. Not thread-safe: one translator per stream.
/// </summary>
public sealed class AnthropicStreamTranslator(bool includeUsage, string? model, long created)
{
    // Anthropic numbers blocks 0, 1, 2, ...: an index beyond this is a broken stream, not a reason to allocate.
    private const int MaxBlocks = 4096;
    private static readonly byte[] ReasoningContent = "reasoning_content"u8.ToArray();
    private readonly OpenAiChunkWriter _chunks = new(created);
    private readonly JsonStringJoiner _thinking = new();
    private readonly JsonStringJoiner _signature = new();
    private Block[] _blocks = new Block[4];
    private int _tools;
    private bool _started;
    private bool _completed;
    private string? _stopReason;

    /// <summary>The usage reported so far (the final usage once completed); null until the stream reported a valid one.</summary>
    public AnthropicUsage? Usage { get; private set; }

    /// <summary>What an <c>error</c> event reported.</summary>
    public AnthropicError? Error { get; private set; }

    /// <summary>The OpenAI finish reason, once the stream completed.</summary>
    public string? FinishReason { get; private set; }

    /// <summary>What the chunks so far generated, as the worker charges a stream cut short (see <see cref="OpenAiChunkWriter.GeneratedText"/>).</summary>
    public string GeneratedText => _chunks.GeneratedText;

    /// <summary>True when <paramref name="chunk"/> is the usage chunk this translator produced (no choices).</summary>
    public bool IsUsageChunk(byte[] chunk) => _chunks.IsUsage(chunk);

    /// <summary>Reads one event and appends the chunks it produces to <paramref name="chunks"/>.</summary>
    public AnthropicStreamStep Translate(ReadOnlyMemory<byte> data, List<byte[]> chunks)
    {
        var json = data.Span;
        if (!AnthropicEventScan.TryScan(json, out var scan))
        {
            return AnthropicStreamStep.Malformed;
        }

        var type = json[scan.Type];
        if (type.SequenceEqual("content_block_delta"u8))
        {
            return _started ? Delta(json, scan, chunks) : AnthropicStreamStep.Malformed;
        }

        if (type.SequenceEqual("content_block_stop"u8))
        {
            return _started ? BlockStop(scan.Index, chunks) : AnthropicStreamStep.Malformed;
        }

        if (type.SequenceEqual("message_stop"u8))
        {
            return _started ? Stop(chunks) : AnthropicStreamStep.Malformed;
        }

        var isStart = type.SequenceEqual("message_start"u8);
        var isBlockStart = type.SequenceEqual("content_block_start"u8);
        var isMessageDelta = type.SequenceEqual("message_delta"u8);
        var isError = type.SequenceEqual("error"u8);
        if (!isStart && !isBlockStart && !isMessageDelta && !isError)
        {
            return AnthropicStreamStep.Continue;
        }

        if (!_started && !isStart && !isError)
        {
            return AnthropicStreamStep.Malformed;
        }

        using var document = JsonDocument.Parse(data);
        var root = document.RootElement;
        if (isError)
        {
            Error = AnthropicError.Read(root.TryGetProperty("error", out var error) ? error : default);
            return AnthropicStreamStep.Failed;
        }

        return isStart ? Start(root, chunks)
            : isBlockStart ? BlockStart(root, scan.Index, chunks)
            : MessageDelta(root);
    }

    private AnthropicStreamStep Start(JsonElement root, List<byte[]> chunks)
    {
        if (!root.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.Object)
        {
            return AnthropicStreamStep.Malformed;
        }

        _chunks.Identify(StringOf(message, "id"), model ?? StringOf(message, "model"));
        if (message.TryGetProperty("usage", out var usage) && AnthropicUsage.TryRead(usage, out var read))
        {
            Usage = read;
        }

        _started = true;
        chunks.Add(_chunks.Role());
        return AnthropicStreamStep.Continue;
    }

    private AnthropicStreamStep BlockStart(JsonElement root, int index, List<byte[]> chunks)
    {
        if (index is < 0 or > MaxBlocks || !root.TryGetProperty("content_block", out var content) || content.ValueKind != JsonValueKind.Object)
        {
            return AnthropicStreamStep.Malformed;
        }

        if (index >= _blocks.Length)
        {
            Array.Resize(ref _blocks, Math.Max(index + 1, _blocks.Length * 2));
        }

        ref var block = ref _blocks[index];
        block = default;
        switch (StringOf(content, "type"))
        {
            case "text":
                block.Kind = BlockKind.Text;
                if (NonEmpty(content, "text") is { } text)
                {
                    chunks.Add(_chunks.Text("content"u8, JsonMarshal.GetRawUtf8Value(text)));
                }

                break;
            case "tool_use":
                block = new Block { Kind = BlockKind.Tool, ToolIndex = _tools++ };
                // Anthropic starts a tool with an empty input and streams it; a non-empty one is sent whole.
                var input = content.TryGetProperty("input", out var i) && i.ValueKind == JsonValueKind.Object && i.GetPropertyCount() > 0 ? i : default;
                block.HasArguments = input.ValueKind == JsonValueKind.Object;
                chunks.Add(_chunks.ToolCallStart(block.ToolIndex, StringOf(content, "id"), StringOf(content, "name"),
                    block.HasArguments ? JsonMarshal.GetRawUtf8Value(input) : []));
                break;
            case "thinking":
                block.Kind = BlockKind.Thinking;
                _thinking.Clear();
                _signature.Clear();
                if (NonEmpty(content, "thinking") is { } thought)
                {
                    _thinking.AppendQuoted(JsonMarshal.GetRawUtf8Value(thought));
                    chunks.Add(_chunks.Text(ReasoningContent, JsonMarshal.GetRawUtf8Value(thought)));
                }

                if (NonEmpty(content, "signature") is { } signature)
                {
                    _signature.AppendQuoted(JsonMarshal.GetRawUtf8Value(signature));
                }

                break;
            case "redacted_thinking":
                block.Kind = BlockKind.Other;
                chunks.Add(_chunks.RedactedThinking(content));
                break;
            default:
                // Server tools (web search, code execution, ...) run at Anthropic: OpenAI has nothing to show them as.
                block.Kind = BlockKind.Other;
                break;
        }

        return AnthropicStreamStep.Continue;
    }

    private AnthropicStreamStep Delta(ReadOnlySpan<byte> json, AnthropicEventScan scan, List<byte[]> chunks)
    {
        if (scan.Index < 0 || scan.Index >= _blocks.Length || _blocks[scan.Index].Kind == BlockKind.None)
        {
            return AnthropicStreamStep.Malformed;
        }

        ref var block = ref _blocks[scan.Index];
        var kind = json[scan.DeltaType];
        var value = json[scan.DeltaValue];
        if (value.Length <= 2)
        {
            // No value, or an empty string: an empty first input_json_delta, say. Nothing to relay.
            return AnthropicStreamStep.Continue;
        }

        if (block.Kind == BlockKind.Text && kind.SequenceEqual("text_delta"u8))
        {
            chunks.Add(_chunks.Text("content"u8, value));
        }
        else if (block.Kind == BlockKind.Tool && kind.SequenceEqual("input_json_delta"u8))
        {
            block.HasArguments = true;
            chunks.Add(_chunks.ToolArguments(block.ToolIndex, value));
        }
        else if (block.Kind == BlockKind.Thinking && kind.SequenceEqual("thinking_delta"u8))
        {
            _thinking.AppendQuoted(value);
            chunks.Add(_chunks.Text(ReasoningContent, value));
        }
        else if (block.Kind == BlockKind.Thinking && kind.SequenceEqual("signature_delta"u8))
        {
            _signature.AppendQuoted(value);
        }

        return AnthropicStreamStep.Continue;
    }

    private AnthropicStreamStep BlockStop(int index, List<byte[]> chunks)
    {
        if (index < 0 || index >= _blocks.Length || _blocks[index].Kind == BlockKind.None)
        {
            return AnthropicStreamStep.Malformed;
        }

        ref var block = ref _blocks[index];
        if (block.Kind == BlockKind.Tool && !block.HasArguments)
        {
            chunks.Add(_chunks.ToolArguments(block.ToolIndex, "\"{}\""u8));
        }
        else if (block.Kind == BlockKind.Thinking && !_signature.IsEmpty)
        {
            chunks.Add(_chunks.ThinkingBlock(_thinking, _signature));
        }

        block.Kind = BlockKind.None;
        return AnthropicStreamStep.Continue;
    }

    private AnthropicStreamStep MessageDelta(JsonElement root)
    {
        if (root.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.Object && NonEmpty(delta, "stop_reason") is { } reason)
        {
            _stopReason = reason.GetString();
        }

        if (root.TryGetProperty("usage", out var usage))
        {
            Usage = Usage is { } known ? known.Update(usage) : AnthropicUsage.TryRead(usage, out var read) ? read : null;
        }

        return AnthropicStreamStep.Continue;
    }

    private AnthropicStreamStep Stop(List<byte[]> chunks)
    {
        if (!_completed)
        {
            _completed = true;
            FinishReason = AnthropicStopReasons.ToFinishReason(_stopReason);
            chunks.Add(_chunks.Finish(FinishReason));
            if (includeUsage && Usage is { } usage)
            {
                chunks.Add(_chunks.Usage(usage));
            }
        }

        return AnthropicStreamStep.Completed;
    }

    private static JsonElement? NonEmpty(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && !value.ValueEquals(""u8) ? value : null;

    private static string StringOf(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";

    private enum BlockKind : byte
    {
        None,
        Text,
        Tool,
        Thinking,
        Other,
    }

    private struct Block
    {
        public BlockKind Kind;
        public int ToolIndex;
        public bool HasArguments;
    }
}
