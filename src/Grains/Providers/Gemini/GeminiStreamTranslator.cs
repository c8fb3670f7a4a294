using System.Runtime.InteropServices;
using System.Text.Json;
using Gateway.Grains.Providers.Translation;

namespace Gateway.Grains.Providers.Gemini;

/// <summary>
/// Turns one Gemini <c>streamGenerateContent?alt=sse</c> stream, whose every event is a whole
/// <c>GenerateContentResponse</c> holding the next parts, into OpenAI <c>chat.completion.chunk</c> payloads:
/// <list type="bullet">
/// <item>The first event: the role chunk, <c>{"role":"assistant","content":""}</c>.</item>
/// <item>Text parts as <c>content</c> deltas, thought parts as <c>reasoning_content</c> (see <see cref="OpenAiReasoningFields"/>),
/// their strings relayed as they are in the JSON.</item>
/// <item>Each <c>functionCall</c> part is a tool call with its own OpenAI <c>index</c> (0, 1, 2 in order of appearance, the
/// bug of Portkey #1275), in one chunk with its id, name and whole arguments (Gemini sends a call whole; a call without
/// arguments gets <c>{}</c>, the bug of LiteLLM #5063).</item>
/// <item><c>usageMetadata</c> is a running total in every event: the last one is the usage, never a sum.</item>
/// <item>The end of the body (<see cref="Complete"/>): the finish chunk (<c>tool_calls</c> when the answer called
/// functions, whatever Gemini's <c>STOP</c> says; <c>content_filter</c> for a blocked prompt), then, when
/// <c>includeUsage</c>, the usage chunk without choices.</item>
/// <item>An event with <c>error</c>: <see cref="GeminiStreamStep.Failed"/> with <see cref="Error"/>.</item>
/// </list>
/// Fed either the body's bytes as they arrive (<see cref="Feed"/>: pieces may end anywhere, mid-line or mid-character;
/// CRLF and LF framing alike, see <see cref="SseEventFramer"/>) or the data of each event (<see cref="Translate"/>, for a
/// caller that parses the SSE itself), then <see cref="Complete"/> when the body ends. Only the first candidate is
/// followed (a streamed request asks for one). Not thread-safe: one translator per stream.
/// </summary>
public sealed class GeminiStreamTranslator(bool includeUsage, string model, long created)
{
    /// <summary>The largest event accepted: Gemini's events are one response's next parts, far below this.</summary>
    public const int MaxEventBytes = 16 * 1024 * 1024;

    private static readonly byte[] ContentName = "content"u8.ToArray();
    private static readonly byte[] ReasoningName = "reasoning_content"u8.ToArray();
    private readonly SseEventFramer _framer = new(MaxEventBytes);
    private readonly OpenAiChunkWriter _chunks = new(created);
    private readonly List<byte[]> _events = [];
    private string? _responseId;
    private string? _finishReason;
    private string? _blockReason;
    private int _tools;
    private bool _started;
    private GeminiStreamStep _ended = GeminiStreamStep.Continue;

    /// <summary>The usage reported by the last event that had one (the final usage once completed); null until then.</summary>
    public GeminiUsage? Usage { get; private set; }

    /// <summary>What an error event reported.</summary>
    public GeminiError? Error { get; private set; }

    /// <summary>The OpenAI finish reason, once the stream completed.</summary>
    public string? FinishReason { get; private set; }

    /// <summary>What the chunks so far generated, as the worker charges a stream cut short (see <see cref="OpenAiChunkWriter.GeneratedText"/>).</summary>
    public string GeneratedText => _chunks.GeneratedText;

    /// <summary>True when <paramref name="chunk"/> is the usage chunk this translator produced (no choices).</summary>
    public bool IsUsageChunk(byte[] chunk) => _chunks.IsUsage(chunk);

    /// <summary>Reads a piece of the SSE body and appends the chunks of the events it completes to <paramref name="chunks"/>.</summary>
    public GeminiStreamStep Feed(ReadOnlySpan<byte> bytes, List<byte[]> chunks)
    {
        if (_ended != GeminiStreamStep.Continue)
        {
            return _ended;
        }

        if (!_framer.Feed(bytes, _events))
        {
            _events.Clear();
            return _ended = GeminiStreamStep.Malformed;
        }

        return TranslateEvents(chunks);
    }

    /// <summary>Reads the data of one event and appends the chunks it produces to <paramref name="chunks"/>.</summary>
    public GeminiStreamStep Translate(ReadOnlyMemory<byte> data, List<byte[]> chunks)
    {
        if (_ended != GeminiStreamStep.Continue)
        {
            return _ended;
        }

        var step = Event(data, chunks);
        return step == GeminiStreamStep.Continue ? step : _ended = step;
    }

    /// <summary>
    /// The body ended: reads what is left of it, then appends the finish chunk and the usage chunk.
    /// <see cref="GeminiStreamStep.Incomplete"/> when no event said how the answer finished.
    /// </summary>
    public GeminiStreamStep Complete(List<byte[]> chunks)
    {
        if (_ended != GeminiStreamStep.Continue)
        {
            return _ended;
        }

        _framer.Complete(_events);
        if (TranslateEvents(chunks) is not GeminiStreamStep.Continue and var step)
        {
            return step;
        }

        if (!_started || (_finishReason is null && _blockReason is null))
        {
            return _ended = GeminiStreamStep.Incomplete;
        }

        FinishReason = _blockReason is not null ? GeminiFinishReasons.PromptBlocked : GeminiFinishReasons.ToFinishReason(_finishReason, _tools > 0);
        chunks.Add(_chunks.Finish(FinishReason));
        if (includeUsage && Usage is { } usage)
        {
            chunks.Add(_chunks.Usage(usage));
        }

        return _ended = GeminiStreamStep.Completed;
    }

    private GeminiStreamStep TranslateEvents(List<byte[]> chunks)
    {
        var step = GeminiStreamStep.Continue;
        foreach (var data in _events)
        {
            if ((step = Event(data, chunks)) != GeminiStreamStep.Continue)
            {
                _ended = step;
                break;
            }
        }

        _events.Clear();
        return step;
    }

    private GeminiStreamStep Event(ReadOnlyMemory<byte> data, List<byte[]> chunks)
    {
        if (data.Span.Trim(" \t\r\n"u8).IsEmpty)
        {
            return GeminiStreamStep.Continue;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(data);
        }
        catch (JsonException)
        {
            return GeminiStreamStep.Malformed;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return GeminiStreamStep.Malformed;
            }

            if (root.TryGetProperty("error", out var error))
            {
                Error = GeminiError.Read(error);
                return GeminiStreamStep.Failed;
            }

            if (!_started)
            {
                _started = true;
                _responseId = GeminiResponseTranslator.StringOf(root, "responseId");
                _chunks.Identify(_responseId ?? "", model);
                chunks.Add(_chunks.Role());
            }

            if (root.TryGetProperty("usageMetadata", out var usage) && GeminiUsage.TryRead(usage, out var read))
            {
                Usage = read;
            }

            _blockReason ??= GeminiResponseTranslator.BlockReason(root);
            if (root.TryGetProperty("candidates", out var candidates) && candidates.ValueKind == JsonValueKind.Array && candidates.GetArrayLength() > 0)
            {
                Candidate(candidates[0], chunks);
            }

            return GeminiStreamStep.Continue;
        }
    }

    private void Candidate(JsonElement candidate, List<byte[]> chunks)
    {
        if (candidate.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        if (candidate.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Object
            && content.TryGetProperty("parts", out var parts) && parts.ValueKind == JsonValueKind.Array)
        {
            foreach (var part in parts.EnumerateArray())
            {
                Part(part, chunks);
            }
        }

        if (GeminiResponseTranslator.StringOf(candidate, "finishReason") is { } reason)
        {
            _finishReason = reason;
        }
    }

    private void Part(JsonElement part, List<byte[]> chunks)
    {
        if (part.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        if (part.TryGetProperty("functionCall", out var call) && call.ValueKind == JsonValueKind.Object)
        {
            var index = _tools++;
            chunks.Add(_chunks.ToolCallStart(index, GeminiToolCalls.Id(call, _responseId, 0, index), GeminiToolCalls.Name(call),
                GeminiToolCalls.Arguments(call), GeminiToolCalls.Signature(part)));
        }
        else if (part.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String && !text.ValueEquals(""u8))
        {
            chunks.Add(_chunks.Text(GeminiResponseTranslator.IsThought(part) ? ReasoningName : ContentName, JsonMarshal.GetRawUtf8Value(text)));
        }
    }
}
