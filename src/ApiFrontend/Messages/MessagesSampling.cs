using System.Text.Json;

namespace Gateway.ApiFrontend.Messages;

/// <summary>
/// A Messages request's sampling members as OpenAI's: <c>max_tokens</c>; <c>temperature</c> and <c>top_p</c> (refused,
/// with <c>top_k</c>, on the newer API version); <c>stop_sequences</c> as <c>stop</c>; <c>metadata.user_id</c> as
/// <c>user</c>; <c>thinking</c> as <c>reasoning_effort</c>.
/// </summary>
internal static class MessagesSampling
{
    public static AnthropicError? Write(JsonElement root, string version, JsonElement maxTokens, Utf8JsonWriter writer)
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
                return MessagesRequestTranslator.Invalid($"{name}: not supported with {AnthropicVersions.Header} {version}");
            }

            if (value.ValueKind != JsonValueKind.Number)
            {
                return MessagesRequestTranslator.Invalid($"{name}: Input should be a valid number");
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
                return MessagesRequestTranslator.Invalid("stop_sequences: Input should be a list of strings");
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
                return MessagesRequestTranslator.Invalid("thinking: Input should be {\"type\": \"enabled\", \"budget_tokens\": <integer>}, {\"type\": \"adaptive\"} or {\"type\": \"disabled\"}");
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
}
