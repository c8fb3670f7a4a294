using System.Text.Json;
using Gateway.Catalog.Buffers;

namespace Gateway.ApiFrontend.Messages;

/// <summary>
/// Validates an Anthropic Messages body and writes it as an OpenAI chat completion body: system blocks become one system
/// message; text and image blocks, content parts (text alone as a string, which every OpenAI-compatible provider
/// accepts); <c>tool_use</c> blocks, an assistant's <c>tool_calls</c>; <c>tool_result</c> blocks, <c>tool</c> messages
/// placed first (right after the calls they answer); tools and <c>tool_choice</c>, <c>stop_sequences</c>,
/// <c>max_tokens</c>, <c>temperature</c>, <c>top_p</c>, <c>metadata.user_id</c> as <c>user</c>, <c>thinking</c> as
/// <c>reasoning_effort</c>. Thinking blocks replayed by the client are dropped (an OpenAI provider cannot take them back);
/// members with no OpenAI equivalent (<c>top_k</c>, <c>cache_control</c>, <c>service_tier</c>) are left out. Server tools
/// and content blocks of other types are left out too, and noted (<see cref="NativeOnlyParts"/>): only an Anthropic
/// provider, which gets the client's own body, can serve such a request.
/// </summary>
public static class MessagesRequestTranslator
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64, AllowDuplicateProperties = false };

    /// <summary>
    /// The translated request, or null with the error Anthropic would answer. <paramref name="forCounting"/>: the body of
    /// <c>count_tokens</c>, which has no <c>max_tokens</c> and never streams.
    /// </summary>
    public static MessagesRequest? Translate(ReadOnlyMemory<byte> body, string version, bool forCounting, out AnthropicError? error)
    {
        error = null;
        if (Contracts.JsonText.Problem(body.Span) is { } problem)
        {
            error = AnthropicError.InvalidRequest(problem);
            return null;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, DocumentOptions);
        }
        catch (JsonException)
        {
            error = AnthropicError.InvalidRequest("The request body is not valid JSON.");
            return null;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = AnthropicError.InvalidRequest("The request body must be a JSON object.");
                return null;
            }

            using var buffer = new PooledBufferWriter(Math.Max(256, body.Length + 256));
            using (var writer = new Utf8JsonWriter(buffer))
            {
                var nativeOnly = new NativeOnlyParts();
                error = Write(root, version, forCounting, writer, nativeOnly, out var stream);
                if (error is not null)
                {
                    return null;
                }

                writer.Flush();
                return new MessagesRequest(buffer.WrittenSpan.ToArray(), stream, nativeOnly.Reason, nativeOnly.Tokens);
            }
        }
    }

    private static AnthropicError? Write(JsonElement root, string version, bool forCounting, Utf8JsonWriter writer, NativeOnlyParts nativeOnly, out bool stream)
    {
        stream = false;
        if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.String || model.GetString() is not { Length: > 0 })
        {
            return Invalid("model: Field required");
        }

        var hasMaxTokens = root.TryGetProperty("max_tokens", out var maxTokens);
        if (!forCounting && (!hasMaxTokens || maxTokens.ValueKind != JsonValueKind.Number || !maxTokens.TryGetInt64(out var max) || max < 1))
        {
            return Invalid(hasMaxTokens ? "max_tokens: Input should be a positive integer" : "max_tokens: Field required");
        }

        if (!root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            return Invalid("messages: Field required");
        }

        if (messages.GetArrayLength() == 0)
        {
            return Invalid("messages: at least one message is required");
        }

        if (!forCounting && root.TryGetProperty("stream", out var streamElement) && streamElement.ValueKind != JsonValueKind.Null)
        {
            if (streamElement.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                return Invalid("stream: Input should be a valid boolean");
            }

            stream = streamElement.GetBoolean();
        }

        writer.WriteStartObject();
        writer.WritePropertyName("model");
        model.WriteTo(writer);
        var error = WriteMessages(root, messages, writer, nativeOnly)
            ?? (forCounting ? null : MessagesSampling.Write(root, version, maxTokens, writer))
            ?? MessagesTools.Write(root, writer, nativeOnly);
        if (error is not null)
        {
            return error;
        }

        if (stream)
        {
            writer.WriteBoolean("stream", true);
        }

        writer.WriteEndObject();
        return null;
    }

    private static AnthropicError? WriteMessages(JsonElement root, JsonElement messages, Utf8JsonWriter writer, NativeOnlyParts nativeOnly)
    {
        writer.WriteStartArray("messages");
        if (root.TryGetProperty("system", out var system) && system.ValueKind != JsonValueKind.Null && WriteSystem(system, "system", writer) is { } systemError)
        {
            return systemError;
        }

        var index = 0;
        var previous = default(JsonElement);
        foreach (var message in messages.EnumerateArray())
        {
            var at = $"messages.{index++}";
            if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String)
            {
                return Invalid($"{at}.role: Field required");
            }

            if (!message.TryGetProperty("content", out var content) || content.ValueKind is not (JsonValueKind.String or JsonValueKind.Array))
            {
                return Invalid($"{at}.content: Input should be a string or a list of content blocks");
            }

            // An empty turn would vanish in translation (and the error then name no field): Anthropic's rule, refused here.
            if (content.ValueKind == JsonValueKind.Array && content.GetArrayLength() == 0 && !(role.ValueEquals("assistant") && index == messages.GetArrayLength()))
            {
                return Invalid($"{at}.content: all messages must have non-empty content except for the optional final assistant message");
            }

            if (role.ValueEquals("user") && UnansweredToolResult(content, previous) is { } orphan)
            {
                return Invalid($"{at}.content.{orphan}: unexpected `tool_use_id` found in `tool_result` blocks. Each `tool_result` block must have a corresponding `tool_use` block in the previous message.");
            }

            // Today's API takes system turns (the official SDKs' SystemMessageParam); a tool result still answers the message
            // right before it, so a system turn between a call and its result is refused (a chat upstream refuses it too).
            previous = message;

            var error = role.ValueEquals("user") ? UserTurn.Write(content, at, writer, nativeOnly)
                : role.ValueEquals("assistant") ? AssistantTurn.Write(content, at, writer, nativeOnly)
                : role.ValueEquals("system") ? WriteSystem(content, $"{at}.content", writer)
                : Invalid($"{at}.role: Input should be 'user', 'assistant' or 'system'");
            if (error is not null)
            {
                return error;
            }
        }

        writer.WriteEndArray();
        return null;
    }

    /// <summary>
    /// The index of the first <c>tool_result</c> block of a user turn whose <c>tool_use_id</c> is not the id of a
    /// <c>tool_use</c> block of the <paramref name="previous"/> message (an assistant turn), or null when each answers one:
    /// Anthropic refuses such a turn, and translated it would be a <c>tool</c> message answering no call. A block without a
    /// string id is left to the turn's own checks.
    /// </summary>
    private static int? UnansweredToolResult(JsonElement content, JsonElement previous)
    {
        if (content.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        HashSet<string>? calls = null;
        var index = 0;
        foreach (var block in content.EnumerateArray())
        {
            if (MessageBlocks.TryType(block, out var type) && type == "tool_result"
                && block.TryGetProperty("tool_use_id", out var id) && id.ValueKind == JsonValueKind.String
                && !(calls ??= ToolUseIds(previous)).Contains(id.GetString()!))
            {
                return index;
            }

            index++;
        }

        return null;
    }

    /// <summary>The ids of an assistant turn's <c>tool_use</c> blocks (none for another message), looked up once per turn.</summary>
    private static HashSet<string> ToolUseIds(JsonElement message)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        if (message.ValueKind == JsonValueKind.Object && message.GetProperty("role").ValueEquals("assistant")
            && message.GetProperty("content") is { ValueKind: JsonValueKind.Array } content)
        {
            foreach (var block in content.EnumerateArray())
            {
                if (MessageBlocks.TryType(block, out var type) && type == "tool_use" && block.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String)
                {
                    ids.Add(id.GetString()!);
                }
            }
        }

        return ids;
    }

    /// <summary>A system prompt (the top-level one, or a system turn of the conversation) as one system message.</summary>
    private static AnthropicError? WriteSystem(JsonElement content, string at, Utf8JsonWriter writer)
    {
        if (!TryJoinText(content, out var text))
        {
            return Invalid($"{at}: Input should be a string or a list of text blocks");
        }

        writer.WriteStartObject();
        writer.WriteString("role", "system");
        writer.WriteString("content", text);
        writer.WriteEndObject();
        return null;
    }

    /// <summary>A string, or the text of a list of text blocks joined by blank lines.</summary>
    internal static bool TryJoinText(JsonElement value, out string text)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            text = value.GetString()!;
            return true;
        }

        text = "";
        if (value.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        var joined = new System.Text.StringBuilder();
        foreach (var block in value.EnumerateArray())
        {
            if (block.ValueKind != JsonValueKind.Object || !block.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || !type.ValueEquals("text")
                || !block.TryGetProperty("text", out var part) || part.ValueKind != JsonValueKind.String)
            {
                return false;
            }

            if (joined.Length > 0)
            {
                joined.Append("\n\n");
            }

            joined.Append(part.GetString());
        }

        text = joined.ToString();
        return true;
    }

    internal static AnthropicError Invalid(string message) => AnthropicError.InvalidRequest(message);
}
