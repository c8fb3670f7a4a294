using System.Text.Json;

namespace Gateway.ApiFrontend.Messages;

/// <summary>
/// Token usage as Anthropic reports it: <c>input_tokens</c> excludes the cached input that OpenAI's <c>prompt_tokens</c>
/// includes, which Anthropic reports apart as <c>cache_read_input_tokens</c>.
/// </summary>
public readonly record struct MessageUsage(long InputTokens, long OutputTokens, long CacheReadInputTokens)
{
    /// <summary>The usage of an OpenAI <c>usage</c> object.</summary>
    public static MessageUsage FromOpenAi(JsonElement usage)
    {
        var prompt = Number(usage, "prompt_tokens");
        var completion = Number(usage, "completion_tokens");
        var cached = usage.TryGetProperty("prompt_tokens_details", out var details) && details.ValueKind == JsonValueKind.Object
            ? Number(details, "cached_tokens")
            : 0;
        return FromOpenAi(prompt, completion, cached);
    }

    public static MessageUsage FromOpenAi(long promptTokens, long completionTokens, long cachedTokens)
    {
        var cached = Math.Clamp(cachedTokens, 0, Math.Max(0, promptTokens));
        return new MessageUsage(Math.Max(0, promptTokens - cached), Math.Max(0, completionTokens), cached);
    }

    /// <summary>Writes the <c>usage</c> object with every field Anthropic's clients read.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        writer.WriteStartObject("usage");
        writer.WriteNumber("input_tokens", InputTokens);
        writer.WriteNumber("cache_creation_input_tokens", 0);
        writer.WriteNumber("cache_read_input_tokens", CacheReadInputTokens);
        writer.WriteNumber("output_tokens", OutputTokens);
        writer.WriteEndObject();
    }

    private static long Number(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : 0;
}
