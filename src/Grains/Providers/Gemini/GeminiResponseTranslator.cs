using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using Gateway.Catalog.Buffers;
using Gateway.Grains.Providers.Translation;

namespace Gateway.Grains.Providers.Gemini;

/// <summary>
/// A Gemini <c>GenerateContentResponse</c> as an OpenAI <c>chat.completion</c>: each candidate a choice, its text parts
/// joined into <c>content</c>, its thought parts into <c>reasoning_content</c> (see <see cref="OpenAiReasoningFields"/>),
/// never in the content, its <c>functionCall</c> parts as <c>tool_calls</c> (<see cref="GeminiToolCalls"/>); the finish
/// reason as OpenAI's (<see cref="GeminiFinishReasons"/>) and the usage as OpenAI counts it (<see cref="GeminiUsage"/>).
/// A prompt Gemini blocked (<c>promptFeedback.blockReason</c>, no candidates) is a <c>content_filter</c> answer with the
/// reason in <c>refusal</c>, never an empty success (the bug of LiteLLM PR #40864).
/// </summary>
public static class GeminiResponseTranslator
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// False when <paramref name="body"/> is not a Gemini response (not JSON, or neither candidates nor a blocked prompt):
    /// a bad response. <paramref name="usage"/> is null when the response reports no valid usage (the gateway then counts).
    /// <paramref name="model"/> is the name the client knows the model by (Gemini's <c>modelVersion</c> when null).
    /// </summary>
    public static bool TryTranslate(ReadOnlyMemory<byte> body, string? model, long created,
        [NotNullWhen(true)] out byte[]? completion, out GeminiUsage? usage)
    {
        completion = null;
        usage = null;
        if (!JsonObjectBody.TryParse(body, out var document))
        {
            return false;
        }

        using (document)
        {
            var root = document.RootElement;
            var candidates = root.TryGetProperty("candidates", out var c) && c.ValueKind == JsonValueKind.Array && c.GetArrayLength() > 0 ? c : default;
            var blockReason = BlockReason(root);
            if (candidates.ValueKind != JsonValueKind.Array && blockReason is null)
            {
                return false;
            }

            if (root.TryGetProperty("usageMetadata", out var usageElement) && GeminiUsage.TryRead(usageElement, out var read))
            {
                usage = read;
            }

            var responseId = StringOf(root, "responseId");
            using var buffer = new PooledBufferWriter(body.Length + 256);
            using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
            {
                writer.WriteStartObject();
                writer.WriteString("id"u8, responseId ?? "");
                writer.WriteString("object"u8, "chat.completion"u8);
                writer.WriteNumber("created"u8, created);
                writer.WriteString("model"u8, model ?? StringOf(root, "modelVersion") ?? "");
                writer.WriteStartArray("choices"u8);
                if (candidates.ValueKind == JsonValueKind.Array)
                {
                    var position = 0;
                    foreach (var candidate in candidates.EnumerateArray())
                    {
                        WriteChoice(writer, candidate, position++, responseId);
                    }
                }
                else
                {
                    WriteBlocked(writer, blockReason!);
                }

                writer.WriteEndArray();
                usage?.WriteOpenAi(writer);
                writer.WriteEndObject();
            }

            completion = buffer.WrittenSpan.ToArray();
            return true;
        }
    }

    /// <summary><c>promptFeedback.blockReason</c>, when Gemini blocked the prompt.</summary>
    internal static string? BlockReason(JsonElement root) =>
        root.TryGetProperty("promptFeedback", out var feedback) && feedback.ValueKind == JsonValueKind.Object
        && feedback.TryGetProperty("blockReason", out var reason) && reason.ValueKind == JsonValueKind.String
            ? reason.GetString() : null;

    /// <summary>The refusal text of an answer to a blocked prompt.</summary>
    internal static string BlockedMessage(string reason) => $"The prompt was blocked by the provider's content filter ({reason}).";

    private static void WriteChoice(Utf8JsonWriter writer, JsonElement candidate, int position, string? responseId)
    {
        var index = candidate.TryGetProperty("index", out var i) && i.ValueKind == JsonValueKind.Number && i.TryGetInt32(out var n) ? n : position;
        JsonElement[] parts = candidate.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Object
            && content.TryGetProperty("parts", out var p) && p.ValueKind == JsonValueKind.Array ? [.. p.EnumerateArray()] : [];
        var text = new JsonStringJoiner();
        var reasoning = new JsonStringJoiner();
        var hasText = false;
        var hasThoughts = false;
        var calls = 0;
        foreach (var part in parts)
        {
            if (part.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            if (part.TryGetProperty("functionCall", out var call) && call.ValueKind == JsonValueKind.Object)
            {
                calls++;
            }
            else if (part.TryGetProperty("text", out var piece) && piece.ValueKind == JsonValueKind.String)
            {
                if (IsThought(part))
                {
                    reasoning.AppendQuoted(JsonMarshal.GetRawUtf8Value(piece));
                    hasThoughts = true;
                }
                else
                {
                    text.AppendQuoted(JsonMarshal.GetRawUtf8Value(piece));
                    hasText = true;
                }
            }
        }

        writer.WriteStartObject();
        writer.WriteNumber("index"u8, index);
        writer.WriteStartObject("message"u8);
        writer.WriteString("role"u8, "assistant"u8);
        writer.WritePropertyName("content"u8);
        if (hasText || calls == 0)
        {
            text.WriteValue(writer);
        }
        else
        {
            writer.WriteNullValue();
        }

        writer.WriteNull("refusal"u8);
        if (hasThoughts)
        {
            writer.WritePropertyName(OpenAiReasoningFields.ReasoningContent);
            reasoning.WriteValue(writer);
        }

        if (calls > 0)
        {
            writer.WriteStartArray("tool_calls"u8);
            var k = 0;
            foreach (var part in parts)
            {
                if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("functionCall", out var call) && call.ValueKind == JsonValueKind.Object)
                {
                    GeminiToolCalls.Write(writer, part, call, responseId, index, k++);
                }
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
        writer.WriteNull("logprobs"u8);
        writer.WriteString("finish_reason"u8, GeminiFinishReasons.ToFinishReason(StringOf(candidate, "finishReason"), calls > 0));
        writer.WriteEndObject();
    }

    private static void WriteBlocked(Utf8JsonWriter writer, string reason)
    {
        writer.WriteStartObject();
        writer.WriteNumber("index"u8, 0);
        writer.WriteStartObject("message"u8);
        writer.WriteString("role"u8, "assistant"u8);
        writer.WriteNull("content"u8);
        writer.WriteString("refusal"u8, BlockedMessage(reason));
        writer.WriteEndObject();
        writer.WriteNull("logprobs"u8);
        writer.WriteString("finish_reason"u8, GeminiFinishReasons.PromptBlocked);
        writer.WriteEndObject();
    }

    internal static bool IsThought(JsonElement part) => part.TryGetProperty("thought", out var thought) && thought.ValueKind == JsonValueKind.True;

    internal static string? StringOf(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
