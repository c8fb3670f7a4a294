using System.Text.Json;

namespace Gateway.Grains.Caching;

/// <summary>
/// What may be stored: a completion every choice of which ended on its own (not cut at <c>length</c>, not filtered), without
/// logprobs; an Anthropic message that ended on its own (<c>end_turn</c>, <c>tool_use</c>, <c>stop_sequence</c>; not cut
/// at <c>max_tokens</c>, refused or paused).
/// </summary>
public static class CachePolicy
{
    public static bool IsStorableFinish(string? finishReason) => finishReason is "stop" or "tool_calls" or "function_call";

    /// <summary>Whether a non-streamed Anthropic message (a native answer) may be stored.</summary>
    public static bool IsStorableMessage(ReadOnlySpan<byte> message)
    {
        try
        {
            var reader = new Utf8JsonReader(message);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            return root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("type", out var type) && type.ValueEquals("message")
                && root.TryGetProperty("stop_reason", out var stop) && stop.ValueKind == JsonValueKind.String
                && stop.GetString() is "end_turn" or "tool_use" or "stop_sequence";
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Whether a non-streamed completion body may be stored.</summary>
    public static bool IsStorable(ReadOnlySpan<byte> completion)
    {
        try
        {
            var reader = new Utf8JsonReader(completion);
            using var document = JsonDocument.ParseValue(ref reader);
            if (!document.RootElement.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0)
            {
                return false;
            }

            foreach (var choice in choices.EnumerateArray())
            {
                if (choice.ValueKind != JsonValueKind.Object
                    || !choice.TryGetProperty("finish_reason", out var finish) || finish.ValueKind != JsonValueKind.String || !IsStorableFinish(finish.GetString())
                    || (choice.TryGetProperty("logprobs", out var logprobs) && logprobs.ValueKind != JsonValueKind.Null)
                    || !choice.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.Object)
                {
                    return false;
                }
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
