using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Catalog.Buffers;
using Gateway.Grains.Providers.Translation;

namespace Gateway.Grains.Providers.Gemini;

/// <summary>
/// An OpenAI chat-completions body (already validated by the gateway) as a Gemini <c>generateContent</c> body, or the
/// reason it cannot be one. Messages and content: see <see cref="GeminiConversation"/> and <see cref="GeminiContent"/>;
/// tools: <see cref="GeminiTools"/>; thinking: <see cref="GeminiThinking"/>. The rest goes to <c>generationConfig</c>:
/// <list type="bullet">
/// <item><c>temperature</c> (Gemini takes OpenAI's 0–2), <c>top_p</c>, <c>seed</c>, <c>presence_penalty</c> and
/// <c>frequency_penalty</c> as they are.</item>
/// <item><c>max_completion_tokens</c>, else <c>max_tokens</c>, as <c>maxOutputTokens</c> (left out when absent: Gemini's
/// default is the model's cap).</item>
/// <item><c>stop</c> (a string or an array) as <c>stopSequences</c>, empty ones dropped.</item>
/// <item><c>n</c> as <c>candidateCount</c>, up to the model's limit; a streamed request takes one (the stream translation
/// follows one candidate).</item>
/// <item><c>response_format</c>: <c>json_object</c> as <c>responseMimeType: application/json</c>; <c>json_schema</c> with
/// its schema converted to Gemini's subset (<see cref="GeminiSchema"/>) as <c>responseSchema</c>.</item>
/// </list>
/// The model's name goes in the URL, not the body; <c>stream</c> decides the URL too. <c>user</c> and
/// <c>safety_identifier</c> are dropped: Gemini's request has no field for an end-user id. Other OpenAI fields (logprobs,
/// logit_bias, ...) have no Gemini equivalent and are left out, as Google's own OpenAI-compatible endpoint ignores them.
/// </summary>
public static class GeminiRequestTranslator
{

    public static bool TryTranslate(
        ReadOnlyMemory<byte> openAiBody,
        GeminiRequestOptions options,
        [NotNullWhen(true)] out GeminiRequestTranslation? translation,
        [NotNullWhen(false)] out TranslationRefusal? refusal)
    {
        translation = null;
        if (!OpenAiRequestBody.TryParse(openAiBody, out var document, out refusal))
        {
            return false;
        }

        using (document)
        {
            var root = document.RootElement;
            var stream = OpenAiRequestFields.IsStream(root);
            if ((refusal = ReadCandidates(root, options, stream, out var candidates)) is not null
                || (refusal = OpenAiRequestFields.ReadMaxTokens(root, out var maxTokens)) is not null
                || (refusal = GeminiThinking.Plan(root, options, maxTokens, out var thinking)) is not null
                || (refusal = GeminiTools.Read(root, out var tools)) is not null
                || (refusal = ReadResponseFormat(root, out var json, out var schema)) is not null
                || (refusal = GeminiConversation.Build(root.TryGetProperty("messages", out var messages) ? messages : default, out var conversation)) is not null)
            {
                return false;
            }

            using var buffer = new PooledBufferWriter(openAiBody.Length + 256);
            using (var writer = new Utf8JsonWriter(buffer, OpenAiRequestBody.WriterOptions))
            {
                writer.WriteStartObject();
                GeminiContent.WriteContents(writer, conversation.Turns);
                GeminiContent.WriteSystem(writer, conversation.System);
                tools.Write(writer);
                writer.WriteStartObject("generationConfig"u8);
                WriteSampling(writer, root);
                if (thinking.MaxOutputTokens is { } maxOutput)
                {
                    writer.WriteNumber("maxOutputTokens"u8, maxOutput);
                }

                WriteStopSequences(writer, root);
                if (candidates > 1)
                {
                    writer.WriteNumber("candidateCount"u8, candidates);
                }

                if (json)
                {
                    writer.WriteString("responseMimeType"u8, "application/json"u8);
                }

                if (schema is not null)
                {
                    writer.WritePropertyName("responseSchema"u8);
                    schema.WriteTo(writer);
                }

                thinking.Write(writer);
                writer.WriteEndObject();
                writer.WriteEndObject();
                writer.Flush();
                translation = new GeminiRequestTranslation(
                    buffer.WrittenSpan.ToArray(), thinking.MaxOutputTokens ?? options.MaxOutputTokens, stream, candidates);
            }

            return true;
        }
    }

    private static TranslationRefusal? ReadCandidates(JsonElement root, GeminiRequestOptions options, bool stream, out int candidates)
    {
        candidates = 1;
        if (!root.TryGetProperty("n", out var n) || n.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var limit = stream ? 1 : options.MaxCandidates;
        if (n.ValueKind != JsonValueKind.Number || !n.TryGetInt32(out candidates) || candidates < 1 || candidates > limit)
        {
            candidates = 1;
            return TranslationRefusal.Unsupported(stream
                ? "This model streams one choice per request: 'n' must be 1 with 'stream'."
                : $"This model returns at most {limit} choices per request: 'n' must be between 1 and {limit}.", "n");
        }

        return null;
    }

    // json: JSON output is asked for; schema: the json_schema's schema in Gemini's form.
    private static TranslationRefusal? ReadResponseFormat(JsonElement root, out bool json, out JsonObject? schema)
    {
        json = false;
        schema = null;
        if (!root.TryGetProperty("response_format", out var format) || format.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var type = format.ValueKind == JsonValueKind.Object && format.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        switch (type)
        {
            case "text":
                return null;
            case "json_object":
                json = true;
                return null;
            case "json_schema":
                json = true;
                if (format.TryGetProperty("json_schema", out var definition) && definition.ValueKind == JsonValueKind.Object
                    && definition.TryGetProperty("schema", out var s) && s.ValueKind == JsonValueKind.Object)
                {
                    var refusal = GeminiSchema.Convert(s, "response_format.json_schema.schema", out var converted);
                    schema = converted;
                    return refusal;
                }

                return null;
            default:
                return TranslationRefusal.UnsupportedValue("'response_format.type' must be text, json_object or json_schema.", "response_format.type");
        }
    }

    private static void WriteSampling(Utf8JsonWriter writer, JsonElement root)
    {
        foreach (var (openAi, gemini) in (ReadOnlySpan<(string, string)>)[
            ("temperature", "temperature"), ("top_p", "topP"), ("seed", "seed"),
            ("presence_penalty", "presencePenalty"), ("frequency_penalty", "frequencyPenalty")])
        {
            if (root.TryGetProperty(openAi, out var value) && value.ValueKind == JsonValueKind.Number)
            {
                writer.WritePropertyName(gemini);
                value.WriteTo(writer);
            }
        }
    }

    private static void WriteStopSequences(Utf8JsonWriter writer, JsonElement root)
    {
        if (!root.TryGetProperty("stop", out var stop) || stop.ValueKind is not (JsonValueKind.String or JsonValueKind.Array))
        {
            return;
        }

        var started = false;
        JsonElement[] sequences = stop.ValueKind == JsonValueKind.String ? [stop] : [.. stop.EnumerateArray()];
        foreach (var sequence in sequences)
        {
            if (sequence.ValueKind != JsonValueKind.String || sequence.ValueEquals(""u8))
            {
                continue;
            }

            if (!started)
            {
                writer.WriteStartArray("stopSequences"u8);
                started = true;
            }

            sequence.WriteTo(writer);
        }

        if (started)
        {
            writer.WriteEndArray();
        }
    }
}
