using System.Buffers;
using System.Buffers.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Gateway.Grains.Providers.Translation;

/// <summary>
/// Writes OpenAI <c>chat.completion.chunk</c> payloads of one stream, reusing one buffer and one writer: delta chunks
/// (<c>choices[0].delta</c> with the role, content, reasoning, a tool call's start or a piece of its arguments, a thinking
/// block), the finish chunk (empty delta and the finish reason) and the usage chunk (no choices), as OpenAI sends them.
/// Strings from the provider's events are copied as they are in the JSON (quoted, escaped). Each payload is one array, the
/// only allocation per chunk. The chunks of nearly every event (role, text, a piece of tool arguments) are put together
/// from fragments written once per stream, the bytes the writer would write, so that translating a stream costs
/// about what relaying one does. It keeps what the chunks generated (see <see cref="GeneratedText"/>), so that the
/// worker never reads back the chunks it was given.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The writer targets an in-memory buffer: disposing it would only flush, which every payload already does.")]
internal sealed class OpenAiChunkWriter
{
    private static readonly JsonEncodedText ChunkObject = JsonEncodedText.Encode("chat.completion.chunk");
    private static readonly byte[] RoleDelta = "\"role\":\"assistant\",\"content\":\"\""u8.ToArray();
    private static readonly byte[] DeltaEnd = "},\"logprobs\":null,\"finish_reason\":null}]}"u8.ToArray();
    private static readonly byte[] ToolCallIndex = "\"tool_calls\":[{\"index\":"u8.ToArray();
    private static readonly byte[] ToolArgumentsName = ",\"function\":{\"arguments\":"u8.ToArray();
    private static readonly byte[] ToolCallEnd = "}}]"u8.ToArray();
    private readonly ArrayBufferWriter<byte> _buffer = new(512);
    private readonly Utf8JsonWriter _writer;
    private readonly JsonStringJoiner _generated = new();
    private readonly long _created;
    private JsonEncodedText _id;
    private JsonEncodedText _model;
    private byte[]? _deltaStart;
    private byte[]? _usageChunk;

    public OpenAiChunkWriter(long created)
    {
        _created = created;
        _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>
    /// What the chunks generated as a client reading them would take it: content, and each tool call's name and arguments
    /// (not reasoning), joined; what a stream cut short is charged as output.
    /// </summary>
    public string GeneratedText => _generated.Decode();

    /// <summary>True when <paramref name="chunk"/> is the usage chunk this writer wrote (no choices: a client that did not ask for usage does not get it).</summary>
    public bool IsUsage(byte[] chunk) => ReferenceEquals(chunk, _usageChunk);

    public void Identify(string id, string model)
    {
        _id = JsonEncodedText.Encode(id, JavaScriptEncoder.UnsafeRelaxedJsonEscaping);
        _model = JsonEncodedText.Encode(model, JavaScriptEncoder.UnsafeRelaxedJsonEscaping);
        _deltaStart = null;
    }

    // Starts a chunk; the returned writer is inside choices[0].delta, to be closed by EndDelta.
    private Utf8JsonWriter BeginDelta()
    {
        Begin();
        _writer.WriteStartArray("choices"u8);
        _writer.WriteStartObject();
        _writer.WriteNumber("index"u8, 0);
        _writer.WriteStartObject("delta"u8);
        return _writer;
    }

    private byte[] EndDelta(string? finishReason = null)
    {
        _writer.WriteEndObject();
        _writer.WriteNull("logprobs"u8);
        if (finishReason is null)
        {
            _writer.WriteNull("finish_reason"u8);
        }
        else
        {
            _writer.WriteString("finish_reason"u8, finishReason);
        }

        _writer.WriteEndObject();
        _writer.WriteEndArray();
        return End();
    }

    /// <summary>The first chunk of a stream: <c>{"role":"assistant","content":""}</c>.</summary>
    public byte[] Role() => Delta(RoleDelta, [], []);

    /// <summary>
    /// A delta of one string member (<c>content</c>, <c>reasoning_content</c>: a name without anything to escape), the
    /// value a quoted JSON string.
    /// </summary>
    public byte[] Text(ReadOnlySpan<byte> property, ReadOnlySpan<byte> quotedValue)
    {
        if (property.SequenceEqual("content"u8))
        {
            _generated.AppendQuoted(quotedValue);
        }

        Span<byte> name = stackalloc byte[property.Length + 3];
        name[0] = (byte)'"';
        property.CopyTo(name[1..]);
        name[^2] = (byte)'"';
        name[^1] = (byte)':';
        return Delta(name, quotedValue, []);
    }

    /// <summary>
    /// The start of tool call <paramref name="index"/>: its id, name and the arguments known so far (raw JSON, or none),
    /// with a Gemini thought signature when there is one (<see cref="GoogleThoughtSignature"/>).
    /// </summary>
    public byte[] ToolCallStart(int index, string id, string name, ReadOnlySpan<byte> arguments, JsonElement thoughtSignature = default)
    {
        _generated.AppendText(name);
        _generated.AppendText(arguments);
        var writer = BeginToolCall(index);
        writer.WriteString("id"u8, id);
        writer.WriteString("type"u8, "function"u8);
        if (thoughtSignature.ValueKind == JsonValueKind.String)
        {
            GoogleThoughtSignature.Write(writer, thoughtSignature);
        }

        writer.WriteStartObject("function"u8);
        writer.WriteString("name"u8, name);
        writer.WriteString("arguments"u8, arguments);
        return EndToolCall();
    }

    /// <summary>A piece of tool call <paramref name="index"/>'s arguments, a quoted JSON string copied as it is.</summary>
    public byte[] ToolArguments(int index, ReadOnlySpan<byte> quotedValue)
    {
        _generated.AppendQuoted(quotedValue);
        Span<byte> call = stackalloc byte[ToolCallIndex.Length + 11 + ToolArgumentsName.Length];
        ToolCallIndex.CopyTo(call);
        Utf8Formatter.TryFormat(index, call[ToolCallIndex.Length..], out var digits);
        var length = ToolCallIndex.Length + digits;
        ToolArgumentsName.CopyTo(call[length..]);
        return Delta(call[..(length + ToolArgumentsName.Length)], quotedValue, ToolCallEnd);
    }

    /// <summary>A whole thinking block, to be sent back: <c>{"thinking_blocks":[{"type":"thinking","thinking","signature"}]}</c>.</summary>
    public byte[] ThinkingBlock(JsonStringJoiner thinking, JsonStringJoiner signature)
    {
        var writer = BeginDelta();
        writer.WriteStartArray(OpenAiReasoningFields.ThinkingBlocks);
        writer.WriteStartObject();
        writer.WriteString("type"u8, "thinking"u8);
        writer.WritePropertyName("thinking"u8);
        thinking.WriteValue(writer);
        writer.WritePropertyName("signature"u8);
        signature.WriteValue(writer);
        writer.WriteEndObject();
        writer.WriteEndArray();
        return EndDelta();
    }

    /// <summary>A redacted thinking block as Anthropic sent it, in <c>thinking_blocks</c>.</summary>
    public byte[] RedactedThinking(JsonElement block)
    {
        var writer = BeginDelta();
        writer.WriteStartArray(OpenAiReasoningFields.ThinkingBlocks);
        block.WriteTo(writer);
        writer.WriteEndArray();
        return EndDelta();
    }

    public byte[] Finish(string finishReason)
    {
        BeginDelta();
        return EndDelta(finishReason);
    }

    public byte[] Usage<TUsage>(TUsage usage)
        where TUsage : IOpenAiUsage
    {
        Begin();
        _writer.WriteStartArray("choices"u8);
        _writer.WriteEndArray();
        usage.WriteOpenAi(_writer);
        return _usageChunk = End();
    }

    private Utf8JsonWriter BeginToolCall(int index)
    {
        var writer = BeginDelta();
        writer.WriteStartArray("tool_calls"u8);
        writer.WriteStartObject();
        writer.WriteNumber("index"u8, index);
        return writer;
    }

    // Closes the function object, the call and the tool_calls array opened by BeginToolCall.
    private byte[] EndToolCall()
    {
        _writer.WriteEndObject();
        _writer.WriteEndObject();
        _writer.WriteEndArray();
        return EndDelta();
    }

    /// <summary>
    /// A delta chunk put together from its fragments: the chunk's start up to its open <c>delta</c>, the three parts of
    /// the delta's members, the chunk's end. What <see cref="BeginDelta"/>, the members and <see cref="EndDelta"/> write.
    /// </summary>
    private byte[] Delta(ReadOnlySpan<byte> members, ReadOnlySpan<byte> value, ReadOnlySpan<byte> membersEnd)
    {
        var start = _deltaStart ??= DeltaStart();
        var chunk = new byte[start.Length + members.Length + value.Length + membersEnd.Length + DeltaEnd.Length];
        var at = chunk.AsSpan();
        start.CopyTo(at);
        at = at[start.Length..];
        members.CopyTo(at);
        at = at[members.Length..];
        value.CopyTo(at);
        at = at[value.Length..];
        membersEnd.CopyTo(at);
        DeltaEnd.CopyTo(at[membersEnd.Length..]);
        return chunk;
    }

    private byte[] DeltaStart()
    {
        BeginDelta();
        _writer.Flush();
        return _buffer.WrittenSpan.ToArray();
    }

    private void Begin()
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        _writer.WriteStartObject();
        _writer.WriteString("id"u8, _id);
        _writer.WriteString("object"u8, ChunkObject);
        _writer.WriteNumber("created"u8, _created);
        _writer.WriteString("model"u8, _model);
    }

    private byte[] End()
    {
        _writer.WriteEndObject();
        _writer.Flush();
        return _buffer.WrittenSpan.ToArray();
    }
}
