using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;

namespace Gateway.MockProvider;

/// <summary>
/// Writes Gemini <c>GenerateContentResponse</c> objects: the whole answer, or one event of a stream (each a response of
/// its own holding the next parts and the usage so far), framed as Gemini frames its server-sent events, with CRLF.
/// </summary>
internal static class GenerateContentJson
{
    /// <summary>Opens a response with one candidate and its parts array; parts follow, then <see cref="WriteEnd"/>.</summary>
    public static void WriteStart(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteStartArray("candidates"u8);
        json.WriteStartObject();
        json.WriteStartObject("content"u8);
        json.WriteStartArray("parts"u8);
    }

    public static void WriteTextPart(Utf8JsonWriter json, ReadOnlySpan<byte> utf8Text, bool thought)
    {
        json.WriteStartObject();
        json.WriteString("text"u8, utf8Text);
        if (thought)
        {
            json.WriteBoolean("thought"u8, true);
        }

        json.WriteEndObject();
    }

    public static void WriteCallPart(Utf8JsonWriter json, GenerateContentAnswer.FunctionCall call)
    {
        json.WriteStartObject();
        json.WriteStartObject("functionCall"u8);
        json.WriteString("name"u8, call.Name);
        json.WritePropertyName("args"u8);
        json.WriteRawValue(call.Args);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>
    /// Closes the parts and the candidate (with the finish reason when <paramref name="finish"/>) and writes the usage so far
    /// (<paramref name="candidates"/> and <paramref name="thoughts"/> tokens) unless <paramref name="includeUsage"/> is false.
    /// </summary>
    public static void WriteEnd(Utf8JsonWriter json, GenerateContentAnswer answer, bool finish, int candidates, int thoughts, bool includeUsage)
    {
        json.WriteEndArray();
        json.WriteString("role"u8, "model"u8);
        json.WriteEndObject();
        if (finish)
        {
            json.WriteString("finishReason"u8, answer.FinishReason);
        }

        json.WriteNumber("index"u8, 0);
        json.WriteEndObject();
        json.WriteEndArray();
        WriteTail(json, answer, candidates, thoughts, includeUsage);
    }

    /// <summary>A prompt blocked for safety: no candidates, <c>promptFeedback.blockReason</c>, the prompt's usage.</summary>
    public static void WriteBlocked(Utf8JsonWriter json, GenerateContentAnswer answer, bool includeUsage)
    {
        json.WriteStartObject();
        json.WriteStartObject("promptFeedback"u8);
        json.WriteString("blockReason"u8, "SAFETY"u8);
        json.WriteEndObject();
        WriteTail(json, answer, 0, 0, includeUsage);
    }

    /// <summary>The whole answer of a call that is not streamed.</summary>
    public static void WriteResponse(Utf8JsonWriter json, GenerateContentAnswer answer, bool includeUsage)
    {
        if (answer.Blocked)
        {
            WriteBlocked(json, answer, includeUsage);
            return;
        }

        WriteStart(json);
        if (answer.IncludeThoughts && answer.ThoughtsTokens > 0)
        {
            WriteTextPart(json, MockUsage.CompletionUtf8(answer.ThoughtsTokens), thought: true);
        }

        WriteTextPart(json, MockUsage.CompletionUtf8(answer.TextTokens), thought: false);
        foreach (var call in answer.Calls)
        {
            WriteCallPart(json, call);
        }

        WriteEnd(json, answer, finish: true, answer.CandidatesTokens, answer.ThoughtsTokens, includeUsage);
    }

    /// <summary>Starts an SSE event: its data follows, written by a JSON writer over the same pipe.</summary>
    public static void StartEvent(PipeWriter body) => body.Write("data: "u8);

    /// <summary>Ends the event with Gemini's CRLF framing; the writer hands over its bytes first.</summary>
    public static void EndEvent(PipeWriter body, Utf8JsonWriter json)
    {
        json.Flush();
        json.Reset();
        body.Write("\r\n\r\n"u8);
    }

    private static void WriteTail(Utf8JsonWriter json, GenerateContentAnswer answer, int candidates, int thoughts, bool includeUsage)
    {
        if (includeUsage)
        {
            json.WriteStartObject("usageMetadata"u8);
            json.WriteNumber("promptTokenCount"u8, answer.PromptTokens);
            json.WriteNumber("candidatesTokenCount"u8, candidates);
            json.WriteNumber("totalTokenCount"u8, answer.PromptTokens + candidates + thoughts);
            if (answer.CachedTokens > 0)
            {
                json.WriteNumber("cachedContentTokenCount"u8, answer.CachedTokens);
            }

            if (thoughts > 0)
            {
                json.WriteNumber("thoughtsTokenCount"u8, thoughts);
            }

            json.WriteEndObject();
        }

        json.WriteString("modelVersion"u8, answer.Model);
        json.WriteString("responseId"u8, answer.ResponseId);
        json.WriteEndObject();
    }
}
