using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Gateway.Catalog.Buffers;
using Gateway.Grains.Providers.Translation;

namespace Gateway.Grains.Providers.Anthropic;

/// <summary>
/// An OpenAI chat-completions body (already validated by the gateway) as an Anthropic Messages body, or the reason it
/// cannot be one. Messages, content, tools and thinking: see <see cref="AnthropicConversation"/>, <see cref="AnthropicTools"/>,
/// <see cref="AnthropicThinking"/>. The rest:
/// <list type="bullet">
/// <item><c>max_completion_tokens</c>, else <c>max_tokens</c>, else the model's default, as the required <c>max_tokens</c>.</item>
/// <item><c>temperature</c> clamped from OpenAI's 0–2 to Anthropic's 0–1, and <c>top_p</c>, unless the API version
/// refuses them (<see cref="AnthropicApiVersions.AcceptsSamplingParameters"/>) or the model thinks (Anthropic refuses
/// sampling changes with thinking). Claude 4.5 and later refuse both at once: with both, only <c>temperature</c> goes.</item>
/// <item><c>stop</c> (a string or an array) as <c>stop_sequences</c>, whitespace-only ones dropped (Anthropic refuses them).</item>
/// <item><c>response_format</c>: a strict <c>json_schema</c> as structured output (<c>output_config.format</c>, generally
/// available on the API since the Claude 4.5 models, without a beta header) when the model has it; <c>json_object</c>,
/// a non-strict schema (whose keywords Anthropic's constrained decoding may refuse) or a model without structured
/// output get a system instruction to answer with JSON only (with the schema).</item>
/// <item><c>user</c> (or <c>safety_identifier</c>) as <c>metadata.user_id</c>; <c>stream</c> as <c>stream</c>.</item>
/// <item><c>n</c> above 1 is refused (Anthropic answers one choice). Other OpenAI fields (seed, logprobs, penalties, ...)
/// have no Anthropic equivalent and are left out, as Anthropic's own OpenAI-compatible endpoint ignores them.</item>
/// </list>
/// </summary>
public static class AnthropicRequestTranslator
{
    private const string JsonInstruction = "Respond with a single valid JSON object and nothing else: no prose before or after it and no code fences.";

    public static bool TryTranslate(
        ReadOnlyMemory<byte> openAiBody,
        AnthropicRequestOptions options,
        [NotNullWhen(true)] out AnthropicRequestTranslation? translation,
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
            if ((refusal = CheckChoices(root)) is not null
                || (refusal = OpenAiRequestFields.ReadMaxTokens(root, out var maxTokens)) is not null
                || (refusal = AnthropicThinking.Plan(root, options, maxTokens ?? options.DefaultMaxTokens, out var thinking)) is not null
                || (refusal = AnthropicTools.Check(root, thinking.Enabled)) is not null
                || (refusal = ReadResponseFormat(root, options, out var schema, out var instruction)) is not null
                || (refusal = AnthropicConversation.Build(root.TryGetProperty("messages", out var messages) ? messages : default, out var conversation)) is not null)
            {
                return false;
            }

            using var buffer = new PooledBufferWriter(openAiBody.Length + 256);
            using (var writer = new Utf8JsonWriter(buffer, OpenAiRequestBody.WriterOptions))
            {
                writer.WriteStartObject();
                writer.WriteString("model"u8, options.UpstreamModel);
                writer.WriteNumber("max_tokens"u8, thinking.MaxTokens);
                WriteSystem(writer, conversation.System, instruction, schema);
                AnthropicContent.WriteMessages(writer, conversation.Turns);
                AnthropicTools.Write(writer, root, options.StructuredOutputs);
                WriteStopSequences(writer, root);
                if (AnthropicApiVersions.AcceptsSamplingParameters(options.ApiVersion) && !thinking.Enabled)
                {
                    WriteSampling(writer, root);
                }

                thinking.Write(writer);
                WriteOutputConfig(writer, instruction ? default : schema, thinking.AdaptiveEffort);
                WriteMetadata(writer, root);
                var stream = OpenAiRequestFields.IsStream(root);
                if (stream)
                {
                    writer.WriteBoolean("stream"u8, true);
                }

                writer.WriteEndObject();
                writer.Flush();
                translation = new AnthropicRequestTranslation(buffer.WrittenSpan.ToArray(), thinking.MaxTokens, stream);
            }

            return true;
        }
    }

    private static TranslationRefusal? CheckChoices(JsonElement root) =>
        root.TryGetProperty("n", out var n) && n.ValueKind == JsonValueKind.Number && (!n.TryGetInt32(out var count) || count != 1)
            ? TranslationRefusal.Unsupported("This model returns one choice per request: 'n' must be 1.", "n")
            : null;

    // schema: the json_schema's schema when it is to be enforced natively; instruction: JSON is asked for in words.
    private static TranslationRefusal? ReadResponseFormat(JsonElement root, AnthropicRequestOptions options, out JsonElement schema, out bool instruction)
    {
        schema = default;
        instruction = false;
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
                instruction = true;
                return null;
            case "json_schema":
                var definition = format.TryGetProperty("json_schema", out var d) && d.ValueKind == JsonValueKind.Object ? d : default;
                if (definition.ValueKind == JsonValueKind.Object && definition.TryGetProperty("schema", out var s) && s.ValueKind == JsonValueKind.Object)
                {
                    schema = s;
                }

                var strict = definition.ValueKind == JsonValueKind.Object && definition.TryGetProperty("strict", out var st) && st.ValueKind == JsonValueKind.True;
                instruction = !(strict && options.StructuredOutputs && schema.ValueKind == JsonValueKind.Object);
                return null;
            default:
                return TranslationRefusal.UnsupportedValue("'response_format.type' must be text, json_object or json_schema.", "response_format.type");
        }
    }

    private static void WriteSystem(Utf8JsonWriter writer, List<AnthropicBlock> system, bool instruction, JsonElement schema)
    {
        if (system.Count == 0 && !instruction)
        {
            return;
        }

        writer.WriteStartArray("system"u8);
        foreach (var block in system)
        {
            AnthropicContent.WriteBlock(writer, block);
        }

        if (instruction)
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "text"u8);
            writer.WriteString("text"u8, schema.ValueKind == JsonValueKind.Object
                ? $"{JsonInstruction} It must conform to this JSON schema: {schema.GetRawText()}"
                : JsonInstruction);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static void WriteStopSequences(Utf8JsonWriter writer, JsonElement root)
    {
        if (!root.TryGetProperty("stop", out var stop))
        {
            return;
        }

        var started = false;
        if (stop.ValueKind == JsonValueKind.String)
        {
            WriteStopSequence(writer, stop, ref started);
        }
        else if (stop.ValueKind == JsonValueKind.Array)
        {
            foreach (var sequence in stop.EnumerateArray())
            {
                WriteStopSequence(writer, sequence, ref started);
            }
        }

        if (started)
        {
            writer.WriteEndArray();
        }
    }

    private static void WriteStopSequence(Utf8JsonWriter writer, JsonElement sequence, ref bool started)
    {
        if (sequence.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(sequence.GetString()))
        {
            return;
        }

        if (!started)
        {
            writer.WriteStartArray("stop_sequences"u8);
            started = true;
        }

        sequence.WriteTo(writer);
    }

    private static void WriteSampling(Utf8JsonWriter writer, JsonElement root)
    {
        if (root.TryGetProperty("temperature", out var temperature) && temperature.ValueKind == JsonValueKind.Number)
        {
            writer.WriteNumber("temperature"u8, Math.Clamp(temperature.GetDouble(), 0, 1));
        }
        else if (root.TryGetProperty("top_p", out var topP) && topP.ValueKind == JsonValueKind.Number)
        {
            writer.WriteNumber("top_p"u8, Math.Clamp(topP.GetDouble(), 0, 1));
        }
    }

    private static void WriteOutputConfig(Utf8JsonWriter writer, JsonElement schema, string? effort)
    {
        if (schema.ValueKind != JsonValueKind.Object && effort is null)
        {
            return;
        }

        writer.WriteStartObject("output_config"u8);
        if (effort is not null)
        {
            writer.WriteString("effort"u8, effort);
        }

        if (schema.ValueKind == JsonValueKind.Object)
        {
            writer.WriteStartObject("format"u8);
            writer.WriteString("type"u8, "json_schema"u8);
            writer.WritePropertyName("schema"u8);
            schema.WriteTo(writer);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private static void WriteMetadata(Utf8JsonWriter writer, JsonElement root)
    {
        foreach (var name in (ReadOnlySpan<string>)["user", "safety_identifier"])
        {
            if (root.TryGetProperty(name, out var user) && user.ValueKind == JsonValueKind.String && !user.ValueEquals(""u8))
            {
                writer.WriteStartObject("metadata"u8);
                writer.WritePropertyName("user_id"u8);
                user.WriteTo(writer);
                writer.WriteEndObject();
                return;
            }
        }
    }
}
