using System.Buffers;
using System.Text.Json;

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

            var buffer = new ArrayBufferWriter<byte>(Math.Max(256, body.Length + 256));
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
            ?? (forCounting ? null : WriteSampling(root, version, maxTokens, writer))
            ?? WriteTools(root, writer, nativeOnly);
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

            var error = role.ValueEquals("user") ? MessageBlocks.WriteUser(content, at, writer, nativeOnly)
                : role.ValueEquals("assistant") ? MessageBlocks.WriteAssistant(content, at, writer, nativeOnly)
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

    private static AnthropicError? WriteSampling(JsonElement root, string version, JsonElement maxTokens, Utf8JsonWriter writer)
    {
        writer.WritePropertyName("max_tokens");
        maxTokens.WriteTo(writer);
        foreach (var name in (ReadOnlySpan<string>)["temperature", "top_p", "top_k"])
        {
            if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            if (version != "2023-06-01")
            {
                // The newer API version refuses sampling parameters; so does its stand-in.
                return Invalid($"{name}: not supported with {AnthropicVersions.Header} {version}");
            }

            if (value.ValueKind != JsonValueKind.Number)
            {
                return Invalid($"{name}: Input should be a valid number");
            }

            if (name != "top_k")
            {
                writer.WritePropertyName(name);
                value.WriteTo(writer);
            }
        }

        if (root.TryGetProperty("stop_sequences", out var stops) && stops.ValueKind != JsonValueKind.Null)
        {
            if (stops.ValueKind != JsonValueKind.Array || stops.EnumerateArray().Any(s => s.ValueKind != JsonValueKind.String))
            {
                return Invalid("stop_sequences: Input should be a list of strings");
            }

            if (stops.GetArrayLength() > 0)
            {
                writer.WritePropertyName("stop");
                stops.WriteTo(writer);
            }
        }

        if (root.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object
            && metadata.TryGetProperty("user_id", out var user) && user.ValueKind == JsonValueKind.String)
        {
            writer.WritePropertyName("user");
            user.WriteTo(writer);
        }

        if (root.TryGetProperty("thinking", out var thinking) && thinking.ValueKind != JsonValueKind.Null)
        {
            if (!TryReasoningEffort(thinking, out var effort))
            {
                return Invalid("thinking: Input should be {\"type\": \"enabled\", \"budget_tokens\": <integer>}, {\"type\": \"adaptive\"} or {\"type\": \"disabled\"}");
            }

            if (effort is not null)
            {
                writer.WriteString("reasoning_effort", effort);
            }
        }

        return null;
    }

    /// <summary>
    /// A thinking budget as OpenAI's effort: under 4K tokens low, under 16K medium, more high; adaptive thinking medium;
    /// disabled none. False for a thinking setting Anthropic would refuse (not an object, an unknown type, a budget that
    /// is not a positive integer), so it is a 400 here whichever provider serves.
    /// </summary>
    private static bool TryReasoningEffort(JsonElement thinking, out string? effort)
    {
        effort = null;
        if (thinking.ValueKind != JsonValueKind.Object || !thinking.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            return false;
        }

        if (type.ValueEquals("adaptive"))
        {
            effort = "medium";
            return true;
        }

        if (type.ValueEquals("disabled"))
        {
            return true;
        }

        if (!type.ValueEquals("enabled") || !thinking.TryGetProperty("budget_tokens", out var budget)
            || budget.ValueKind != JsonValueKind.Number || !budget.TryGetInt64(out var tokens) || tokens < 1)
        {
            return false;
        }

        effort = tokens switch
        {
            < 4096 => "low",
            < 16384 => "medium",
            _ => "high",
        };
        return true;
    }

    private static AnthropicError? WriteTools(JsonElement root, Utf8JsonWriter writer, NativeOnlyParts nativeOnly)
    {
        var hasTools = root.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array && tools.GetArrayLength() > 0;
        if (hasTools)
        {
            writer.WriteStartArray("tools");
            var index = 0;
            foreach (var tool in tools.EnumerateArray())
            {
                var at = $"tools.{index++}";
                if (tool.ValueKind != JsonValueKind.Object || !tool.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
                {
                    return Invalid($"{at}.name: Field required");
                }

                if (tool.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && !type.ValueEquals("custom"))
                {
                    // A server tool runs at Anthropic: it has no input_schema, and no other provider can run it.
                    nativeOnly.Add($"{at}.type: the server tool '{type.GetString()}' can only be used with a model served by Anthropic", tool);
                    continue;
                }

                writer.WriteStartObject();
                writer.WriteString("type", "function");
                writer.WriteStartObject("function");
                writer.WritePropertyName("name");
                name.WriteTo(writer);
                if (tool.TryGetProperty("description", out var description) && description.ValueKind == JsonValueKind.String)
                {
                    writer.WritePropertyName("description");
                    description.WriteTo(writer);
                }

                writer.WritePropertyName("parameters");
                if (tool.TryGetProperty("input_schema", out var schema) && schema.ValueKind == JsonValueKind.Object)
                {
                    schema.WriteTo(writer);
                }
                else
                {
                    return Invalid($"{at}.input_schema: Field required");
                }

                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        if (!root.TryGetProperty("tool_choice", out var choice) || choice.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (choice.ValueKind != JsonValueKind.Object || !choice.TryGetProperty("type", out var kind) || kind.ValueKind != JsonValueKind.String)
        {
            return Invalid("tool_choice.type: Field required");
        }

        if (kind.ValueEquals("auto"))
        {
            writer.WriteString("tool_choice", "auto");
        }
        else if (kind.ValueEquals("any"))
        {
            writer.WriteString("tool_choice", "required");
        }
        else if (kind.ValueEquals("none"))
        {
            writer.WriteString("tool_choice", "none");
        }
        else if (kind.ValueEquals("tool") && choice.TryGetProperty("name", out var toolName) && toolName.ValueKind == JsonValueKind.String)
        {
            writer.WriteStartObject("tool_choice");
            writer.WriteString("type", "function");
            writer.WriteStartObject("function");
            writer.WritePropertyName("name");
            toolName.WriteTo(writer);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        else
        {
            return Invalid("tool_choice: Input should be of type auto, any, tool (with a name) or none");
        }

        if (hasTools && choice.TryGetProperty("disable_parallel_tool_use", out var serial) && serial.ValueKind == JsonValueKind.True)
        {
            writer.WriteBoolean("parallel_tool_calls", false);
        }

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
