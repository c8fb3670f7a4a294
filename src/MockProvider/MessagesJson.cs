using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;

namespace Gateway.MockProvider;

/// <summary>Writes Anthropic Messages responses and stream events straight into the response pipe.</summary>
internal static class MessagesJson
{
    /// <summary>The whole <c>message</c> object of a non-streaming answer.</summary>
    public static void WriteMessage(Utf8JsonWriter json, MessagesAnswer answer, bool includeUsage)
    {
        json.WriteStartObject();
        WriteHead(json, answer);
        json.WriteStartArray("content"u8);
        if (answer.ThinkingTokens > 0)
        {
            json.WriteStartObject();
            json.WriteString("type"u8, "thinking"u8);
            json.WriteString("thinking"u8, MockUsage.CompletionUtf8(answer.ThinkingTokens));
            json.WriteString("signature"u8, MessagesAnswer.Signature);
            json.WriteEndObject();
        }

        json.WriteStartObject();
        json.WriteString("type"u8, "text"u8);
        json.WriteString("text"u8, MockUsage.CompletionUtf8(answer.TextTokens));
        json.WriteEndObject();
        foreach (var tool in answer.Tools)
        {
            json.WriteStartObject();
            json.WriteString("type"u8, "tool_use"u8);
            json.WriteString("id"u8, tool.Id);
            json.WriteString("name"u8, tool.Name);
            json.WritePropertyName("input"u8);
            json.WriteRawValue(tool.Input);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteString("stop_reason"u8, answer.StopReason);
        json.WriteNull("stop_sequence"u8);
        if (includeUsage)
        {
            WriteUsage(json, answer, answer.OutputTokens);
        }

        json.WriteEndObject();
    }

    /// <summary><c>message_start</c>: the message without content, and the usage so far (all input, one output token).</summary>
    public static void WriteMessageStart(PipeWriter body, Utf8JsonWriter json, MessagesAnswer answer, bool includeUsage)
    {
        StartEvent(body, json, "message_start"u8);
        json.WriteStartObject("message"u8);
        WriteHead(json, answer);
        json.WriteStartArray("content"u8);
        json.WriteEndArray();
        json.WriteNull("stop_reason"u8);
        json.WriteNull("stop_sequence"u8);
        if (includeUsage)
        {
            WriteUsage(json, answer, outputTokens: 1);
        }

        json.WriteEndObject();
        EndEvent(body, json);
    }

    public static void WritePing(PipeWriter body, Utf8JsonWriter json)
    {
        StartEvent(body, json, "ping"u8);
        EndEvent(body, json);
    }

    /// <summary><c>content_block_start</c> of a thinking, text or tool_use block, empty as Anthropic starts them.</summary>
    public static void WriteBlockStart(PipeWriter body, Utf8JsonWriter json, int index, ReadOnlySpan<byte> kind, MessagesAnswer.ToolCall? tool = null)
    {
        StartEvent(body, json, "content_block_start"u8);
        json.WriteNumber("index"u8, index);
        json.WriteStartObject("content_block"u8);
        json.WriteString("type"u8, kind);
        if (tool is not null)
        {
            json.WriteString("id"u8, tool.Id);
            json.WriteString("name"u8, tool.Name);
            json.WriteStartObject("input"u8);
            json.WriteEndObject();
        }
        else if (kind.SequenceEqual("thinking"u8))
        {
            json.WriteString("thinking"u8, ""u8);
            json.WriteString("signature"u8, ""u8);
        }
        else
        {
            json.WriteString("text"u8, ""u8);
        }

        json.WriteEndObject();
        EndEvent(body, json);
    }

    /// <summary><c>content_block_delta</c> of the block's own kind: <c>text_delta</c>, <c>thinking_delta</c>, <c>signature_delta</c> or <c>input_json_delta</c>.</summary>
    public static void WriteDelta(PipeWriter body, Utf8JsonWriter json, int index, ReadOnlySpan<byte> kind, ReadOnlySpan<byte> field, ReadOnlySpan<byte> utf8Value)
    {
        StartEvent(body, json, "content_block_delta"u8);
        json.WriteNumber("index"u8, index);
        json.WriteStartObject("delta"u8);
        json.WriteString("type"u8, kind);
        json.WriteString(field, utf8Value);
        json.WriteEndObject();
        EndEvent(body, json);
    }

    public static void WriteBlockStop(PipeWriter body, Utf8JsonWriter json, int index)
    {
        StartEvent(body, json, "content_block_stop"u8);
        json.WriteNumber("index"u8, index);
        EndEvent(body, json);
    }

    /// <summary><c>message_delta</c>: the stop reason and the usage, cumulative (the whole input again, the output so far).</summary>
    public static void WriteMessageDelta(PipeWriter body, Utf8JsonWriter json, MessagesAnswer answer, bool includeUsage)
    {
        StartEvent(body, json, "message_delta"u8);
        json.WriteStartObject("delta"u8);
        json.WriteString("stop_reason"u8, answer.StopReason);
        json.WriteNull("stop_sequence"u8);
        json.WriteEndObject();
        if (includeUsage)
        {
            WriteUsage(json, answer, answer.OutputTokens);
        }

        EndEvent(body, json);
    }

    public static void WriteMessageStop(PipeWriter body, Utf8JsonWriter json)
    {
        StartEvent(body, json, "message_stop"u8);
        EndEvent(body, json);
    }

    private static void WriteHead(Utf8JsonWriter json, MessagesAnswer answer)
    {
        json.WriteString("id"u8, answer.Id);
        json.WriteString("type"u8, "message"u8);
        json.WriteString("role"u8, "assistant"u8);
        json.WriteString("model"u8, answer.Model);
    }

    private static void WriteUsage(Utf8JsonWriter json, MessagesAnswer answer, int outputTokens)
    {
        json.WriteStartObject("usage"u8);
        json.WriteNumber("input_tokens"u8, answer.InputTokens);
        json.WriteNumber("cache_creation_input_tokens"u8, answer.CacheWriteTokens);
        json.WriteNumber("cache_read_input_tokens"u8, answer.CacheReadTokens);
        json.WriteStartObject("cache_creation"u8);
        json.WriteNumber("ephemeral_5m_input_tokens"u8, answer.CacheWriteTokens - answer.CacheWrite1hTokens);
        json.WriteNumber("ephemeral_1h_input_tokens"u8, answer.CacheWrite1hTokens);
        json.WriteEndObject();
        json.WriteNumber("output_tokens"u8, outputTokens);
        json.WriteEndObject();
    }

    // Every event names its type twice, as Anthropic's do: in the SSE event line and in the data.
    private static void StartEvent(PipeWriter body, Utf8JsonWriter json, ReadOnlySpan<byte> type)
    {
        body.Write("event: "u8);
        body.Write(type);
        body.Write("\ndata: "u8);
        json.WriteStartObject();
        json.WriteString("type"u8, type);
    }

    private static void EndEvent(PipeWriter body, Utf8JsonWriter json)
    {
        json.WriteEndObject();

        // The writer must hand its bytes to the pipe before the raw terminator goes in after them.
        json.Flush();
        json.Reset();
        body.Write("\n\n"u8);
    }
}
