using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;

namespace Gateway.MockProvider;

/// <summary>
/// Writes chat.completion objects and chat.completion.chunk events straight into the response pipe, so a
/// response costs no intermediate object graph or string.
/// </summary>
internal static class ChatJson
{
    /// <summary>
    /// Writes the completion object but leaves it open, so the caller can append members; without
    /// <paramref name="includeUsage"/> it has no <c>usage</c> member at all.
    /// </summary>
    public static void WriteCompletion(
        Utf8JsonWriter json, in ResponseHead head, CompletionPlan completion, int promptTokens, bool includeUsage = true)
    {
        var text = MockUsage.CompletionUtf8(completion.TokensPerChoice);
        json.WriteStartObject();
        head.WriteTo(json, "chat.completion"u8);
        json.WriteStartArray("choices"u8);
        for (var choice = 0; choice < completion.Choices; choice++)
        {
            json.WriteStartObject();
            json.WriteNumber("index"u8, choice);
            json.WriteStartObject("message"u8);
            json.WriteString("role"u8, "assistant"u8);
            json.WriteString("content"u8, text);
            json.WriteNull("refusal"u8);
            json.WriteEndObject();
            json.WriteNull("logprobs"u8);
            json.WriteString("finish_reason"u8, FinishReason(completion.Capped));
            json.WriteEndObject();
        }

        json.WriteEndArray();
        if (includeUsage)
        {
            WriteUsage(json, promptTokens, completion.TotalTokens, completion);
        }
    }

    /// <summary>The request headers the gateway forwarded that tests care about, as <c>mock_headers</c>.</summary>
    public static void WriteEchoedHeaders(Utf8JsonWriter json, IHeaderDictionary headers)
    {
        json.WriteStartObject("mock_headers"u8);
        foreach (var (name, values) in headers)
        {
            if (name.StartsWith("x-", StringComparison.OrdinalIgnoreCase)
                || name.Equals("authorization", StringComparison.OrdinalIgnoreCase))
            {
                // Lower-cased because HTTP names are case-insensitive and tests should not depend on the casing.
                json.WriteString(name.ToLowerInvariant(), values.ToString());
            }
        }

        json.WriteEndObject();
    }

    public static void WriteRoleChunk(PipeWriter body, Utf8JsonWriter json, in ResponseHead head, int choice, bool includeUsage)
    {
        StartChunk(body, json, head, choice);
        json.WriteString("role"u8, "assistant"u8);
        json.WriteString("content"u8, ""u8);
        EndChunk(body, json, finishReason: default, includeUsage);
    }

    public static void WriteContentChunk(
        PipeWriter body, Utf8JsonWriter json, in ResponseHead head, int choice, int piece, bool includeUsage) =>
        WriteContentChunk(body, json, head, choice, MockUsage.PieceUtf8(piece), includeUsage);

    public static void WriteContentChunk(
        PipeWriter body, Utf8JsonWriter json, in ResponseHead head, int choice, ReadOnlySpan<byte> text, bool includeUsage)
    {
        StartChunk(body, json, head, choice);
        json.WriteString("content"u8, text);
        EndChunk(body, json, finishReason: default, includeUsage);
    }

    public static void WriteFinishChunk(
        PipeWriter body, Utf8JsonWriter json, in ResponseHead head, int choice, bool capped, bool includeUsage)
    {
        StartChunk(body, json, head, choice);
        EndChunk(body, json, FinishReason(capped), includeUsage);
    }

    public static void WriteUsageChunk(
        PipeWriter body, Utf8JsonWriter json, in ResponseHead head, int promptTokens, int completionTokens, in CompletionPlan completion)
    {
        body.Write("data: "u8);
        json.WriteStartObject();
        head.WriteTo(json, "chat.completion.chunk"u8);
        json.WriteStartArray("choices"u8);
        json.WriteEndArray();
        WriteUsage(json, promptTokens, completionTokens, completion);
        json.WriteEndObject();
        EndEvent(body, json);
    }

    public static void WriteDone(PipeWriter body) => body.Write("data: [DONE]\n\n"u8);

    /// <summary>An event a well-framed stream can carry but whose data no JSON parser accepts.</summary>
    public static void WriteGarbageEvent(PipeWriter body) => body.Write("data: this is not json\n\n"u8);

    private static ReadOnlySpan<byte> FinishReason(bool capped) => capped ? "length"u8 : "stop"u8;

    private static void StartChunk(PipeWriter body, Utf8JsonWriter json, in ResponseHead head, int choice)
    {
        body.Write("data: "u8);
        json.WriteStartObject();
        head.WriteTo(json, "chat.completion.chunk"u8);
        json.WriteStartArray("choices"u8);
        json.WriteStartObject();
        json.WriteNumber("index"u8, choice);
        json.WriteStartObject("delta"u8);
    }

    private static void EndChunk(PipeWriter body, Utf8JsonWriter json, ReadOnlySpan<byte> finishReason, bool includeUsage)
    {
        json.WriteEndObject();
        json.WriteNull("logprobs"u8);
        if (finishReason.IsEmpty)
        {
            json.WriteNull("finish_reason"u8);
        }
        else
        {
            json.WriteString("finish_reason"u8, finishReason);
        }

        json.WriteEndObject();
        json.WriteEndArray();
        if (includeUsage)
        {
            json.WriteNull("usage"u8);
        }

        json.WriteEndObject();
        EndEvent(body, json);
    }

    private static void EndEvent(PipeWriter body, Utf8JsonWriter json)
    {
        // The writer must hand its bytes to the pipe before the raw terminator goes in after them.
        json.Flush();
        json.Reset();
        body.Write("\n\n"u8);
    }

    /// <summary>
    /// The usage of <paramref name="completionTokens"/> streamed or answered, plus the plan's reasoning; the token details
    /// only when the plan has cached or reasoning tokens, so answers without those directives keep their shape.
    /// </summary>
    private static void WriteUsage(Utf8JsonWriter json, int promptTokens, int completionTokens, in CompletionPlan completion)
    {
        completionTokens += completion.ReasoningTokens;
        json.WriteStartObject("usage"u8);
        json.WriteNumber("prompt_tokens"u8, promptTokens);
        json.WriteNumber("completion_tokens"u8, completionTokens);
        json.WriteNumber("total_tokens"u8, promptTokens + completionTokens);
        if (completion.CachedTokens > 0 || completion.ReasoningTokens > 0)
        {
            json.WriteStartObject("prompt_tokens_details"u8);
            json.WriteNumber("cached_tokens"u8, completion.CachedTokens);
            json.WriteEndObject();
            json.WriteStartObject("completion_tokens_details"u8);
            json.WriteNumber("reasoning_tokens"u8, completion.ReasoningTokens);
            json.WriteEndObject();
        }

        json.WriteEndObject();
    }
}
