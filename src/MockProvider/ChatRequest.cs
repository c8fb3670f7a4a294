using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Gateway.MockProvider;

/// <summary>
/// The parts of an OpenAI chat completion request the mock acts on. <see cref="Messages"/> points into the parsed
/// document, so a value is only valid while that document is.
/// </summary>
internal readonly record struct ChatRequest(
    string Model,
    JsonElement Messages,
    bool Stream,
    bool IncludeUsage,
    int N,
    int? MaxTokens,
    string? User,
    MockDirectives Mock)
{
    // Bounds keep a mistyped directive from making the mock build gigabytes of text or sleep for days.
    private const int MaxChoices = 128;
    private const int MaxCompletionTokens = 1_000_000;
    private const int MaxDelayMs = 600_000;

    public static bool TryParse(JsonElement root, out ChatRequest request, [NotNullWhen(false)] out string? error)
    {
        request = default;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = "The request body must be a JSON object.";
            return false;
        }

        string? model = null;
        JsonElement messages = default;
        var stream = false;
        var includeUsage = false;
        var n = 1;
        int? maxTokens = null;
        int? maxCompletionTokens = null;
        string? user = null;
        var mock = default(MockDirectives);

        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            if (property.NameEquals("model"u8))
            {
                if (value.ValueKind != JsonValueKind.String)
                {
                    error = "'model' must be a string.";
                    return false;
                }

                model = value.GetString();
            }
            else if (property.NameEquals("messages"u8))
            {
                messages = value;
            }
            else if (property.NameEquals("stream"u8))
            {
                if (!TryReadBool(value, out stream))
                {
                    error = "'stream' must be a boolean.";
                    return false;
                }
            }
            else if (property.NameEquals("stream_options"u8))
            {
                if (value.ValueKind == JsonValueKind.Object
                    && value.TryGetProperty("include_usage"u8, out var include)
                    && !TryReadBool(include, out includeUsage))
                {
                    error = "'stream_options.include_usage' must be a boolean.";
                    return false;
                }
            }
            else if (property.NameEquals("n"u8))
            {
                if (!TryReadInt(value, 1, MaxChoices, out var choices))
                {
                    error = $"'n' must be an integer from 1 to {MaxChoices}.";
                    return false;
                }

                n = choices ?? 1;
            }
            else if (property.NameEquals("max_tokens"u8))
            {
                if (!TryReadInt(value, 0, int.MaxValue, out maxTokens))
                {
                    error = "'max_tokens' must be a non-negative integer.";
                    return false;
                }
            }
            else if (property.NameEquals("max_completion_tokens"u8))
            {
                if (!TryReadInt(value, 0, int.MaxValue, out maxCompletionTokens))
                {
                    error = "'max_completion_tokens' must be a non-negative integer.";
                    return false;
                }
            }
            else if (property.NameEquals("user"u8))
            {
                if (value.ValueKind != JsonValueKind.String)
                {
                    error = "'user' must be a string.";
                    return false;
                }

                user = value.GetString();
            }
            else if (property.NameEquals("mock"u8))
            {
                if (!TryParseDirectives(value, out mock, out error))
                {
                    return false;
                }
            }
        }

        if (model is null)
        {
            error = "you must provide a model parameter";
            return false;
        }

        if (messages.ValueKind != JsonValueKind.Array)
        {
            error = "'messages' is a required property and must be an array.";
            return false;
        }

        var index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object
                || !message.TryGetProperty("role"u8, out var role)
                || role.ValueKind != JsonValueKind.String)
            {
                error = $"Invalid value for 'messages[{index}]': expected an object with a string 'role'.";
                return false;
            }

            index++;
        }

        request = new ChatRequest(model, messages, stream, includeUsage, n, maxCompletionTokens ?? maxTokens, user, mock);
        error = null;
        return true;
    }

    /// <summary>Reads a <c>mock</c> object; an unknown or invalid member is an error, so a misspelt directive never passes silently.</summary>
    internal static bool TryParseDirectives(JsonElement mock, out MockDirectives directives, [NotNullWhen(false)] out string? error)
    {
        directives = default;
        if (mock.ValueKind == JsonValueKind.Null)
        {
            error = null;
            return true;
        }

        if (mock.ValueKind != JsonValueKind.Object)
        {
            error = "'mock' must be an object.";
            return false;
        }

        int? completionTokens = null, latencyMs = null, chunkDelayMs = null, failStatus = null, retryAfter = null, cutAfterChunks = null;
        int? toolCalls = null, cacheRead = null, cacheWrite = null, cacheWrite1h = null, reasoning = null;
        var echoHeaders = false;
        var blockPrompt = false;
        foreach (var property in mock.EnumerateObject())
        {
            var value = property.Value;
            bool valid;
            if (property.NameEquals("completion_tokens"u8))
            {
                valid = TryReadInt(value, 0, MaxCompletionTokens, out completionTokens);
            }
            else if (property.NameEquals("latency_ms"u8))
            {
                valid = TryReadInt(value, 0, MaxDelayMs, out latencyMs);
            }
            else if (property.NameEquals("chunk_delay_ms"u8))
            {
                valid = TryReadInt(value, 0, MaxDelayMs, out chunkDelayMs);
            }
            else if (property.NameEquals("fail_status"u8))
            {
                valid = TryReadInt(value, 400, 599, out failStatus);
            }
            else if (property.NameEquals("retry_after"u8))
            {
                valid = TryReadInt(value, 0, int.MaxValue, out retryAfter);
            }
            else if (property.NameEquals("cut_after_chunks"u8))
            {
                valid = TryReadInt(value, 0, int.MaxValue, out cutAfterChunks);
            }
            else if (property.NameEquals("tool_calls"u8))
            {
                valid = TryReadInt(value, 0, MaxChoices, out toolCalls);
            }
            else if (property.NameEquals("cache_read_input_tokens"u8))
            {
                valid = TryReadInt(value, 0, MaxCompletionTokens, out cacheRead);
            }
            else if (property.NameEquals("cache_creation_input_tokens"u8))
            {
                valid = TryReadInt(value, 0, MaxCompletionTokens, out cacheWrite);
            }
            else if (property.NameEquals("ephemeral_1h_input_tokens"u8))
            {
                valid = TryReadInt(value, 0, MaxCompletionTokens, out cacheWrite1h);
            }
            else if (property.NameEquals("reasoning_tokens"u8))
            {
                valid = TryReadInt(value, 0, MaxCompletionTokens, out reasoning);
            }
            else if (property.NameEquals("echo_headers"u8))
            {
                valid = TryReadBool(value, out echoHeaders);
            }
            else if (property.NameEquals("block_prompt"u8))
            {
                valid = TryReadBool(value, out blockPrompt);
            }
            else
            {
                // A misspelt directive would otherwise be ignored silently and the test would pass for the wrong reason.
                error = $"Unknown mock directive '{property.Name}'.";
                return false;
            }

            if (!valid)
            {
                error = $"Invalid value for mock directive '{property.Name}'.";
                return false;
            }
        }

        directives = new MockDirectives(completionTokens, latencyMs, chunkDelayMs, failStatus, retryAfter, cutAfterChunks, echoHeaders, toolCalls, cacheRead, cacheWrite, blockPrompt,
            cacheWrite1h, reasoning);
        error = null;
        return true;
    }

    internal static bool TryReadBool(JsonElement value, out bool result)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.True:
                result = true;
                return true;
            case JsonValueKind.False:
            case JsonValueKind.Null:
                result = false;
                return true;
            default:
                result = false;
                return false;
        }
    }

    internal static bool TryReadInt(JsonElement value, int min, int max, out int? result)
    {
        result = null;
        if (value.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var number) || number < min || number > max)
        {
            return false;
        }

        result = number;
        return true;
    }
}
