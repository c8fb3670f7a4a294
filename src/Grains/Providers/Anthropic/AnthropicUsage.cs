using System.Text.Json;
using Gateway.Grains.Providers.Translation;

namespace Gateway.Grains.Providers.Anthropic;

/// <summary>
/// The tokens an Anthropic call used, split the way they are priced: uncached input, cache reads, cache writes (of which
/// those kept an hour; the rest are five-minute writes), and output (of which thinking, priced as output). Anthropic's
/// <c>input_tokens</c> excludes the cache, so OpenAI's <c>prompt_tokens</c> is the sum of all three input kinds, with the
/// cache reads also reported as <c>prompt_tokens_details.cached_tokens</c> (the bugs of LiteLLM #11789 and Portkey #1564).
/// </summary>
public readonly record struct AnthropicUsage(
    long InputTokens,
    long CacheReadTokens,
    long CacheWriteTokens,
    long CacheWrite1hTokens,
    long OutputTokens,
    long ReasoningTokens) : IOpenAiUsage
{
    /// <summary>Cache writes kept five minutes, Anthropic's default: every write not reported as an hour's.</summary>
    public long CacheWrite5mTokens => Math.Max(0, CacheWriteTokens - CacheWrite1hTokens);

    /// <summary>OpenAI's <c>prompt_tokens</c>: all input, cached and cache-written included.</summary>
    public long PromptTokens => InputTokens + CacheReadTokens + CacheWriteTokens;

    public long TotalTokens => PromptTokens + OutputTokens;

    /// <summary>Reads a response's <c>usage</c>; false unless it has valid <c>input_tokens</c> and <c>output_tokens</c>.</summary>
    public static bool TryRead(JsonElement usage, out AnthropicUsage value)
    {
        value = default;
        if (usage.ValueKind != JsonValueKind.Object
            || !TokenCounts.TryRead(usage, "input_tokens", out var input)
            || !TokenCounts.TryRead(usage, "output_tokens", out var output))
        {
            return false;
        }

        value = new AnthropicUsage(input, 0, 0, 0, output, 0).Update(usage);
        return true;
    }

    /// <summary>
    /// This usage with every count <paramref name="usage"/> reports replaced. A stream's <c>message_delta</c> usage is
    /// cumulative: it overwrites what <c>message_start</c> said, never adds to it.
    /// </summary>
    public AnthropicUsage Update(JsonElement usage)
    {
        if (usage.ValueKind != JsonValueKind.Object)
        {
            return this;
        }

        var result = this;
        if (TokenCounts.TryRead(usage, "input_tokens", out var input)) result = result with { InputTokens = input };
        if (TokenCounts.TryRead(usage, "output_tokens", out var output)) result = result with { OutputTokens = output };
        if (TokenCounts.TryRead(usage, "cache_read_input_tokens", out var read)) result = result with { CacheReadTokens = read };

        var hasTotal = TokenCounts.TryRead(usage, "cache_creation_input_tokens", out var written);
        if (usage.TryGetProperty("cache_creation", out var creation) && creation.ValueKind == JsonValueKind.Object)
        {
            TokenCounts.TryRead(creation, "ephemeral_5m_input_tokens", out var fiveMinutes);
            TokenCounts.TryRead(creation, "ephemeral_1h_input_tokens", out var oneHour);
            result = result with { CacheWriteTokens = hasTotal ? written : fiveMinutes + oneHour, CacheWrite1hTokens = oneHour };
        }
        else if (hasTotal)
        {
            result = result with { CacheWriteTokens = written };
        }

        if (usage.TryGetProperty("output_tokens_details", out var details) && TokenCounts.TryRead(details, "thinking_tokens", out var thinking))
        {
            result = result with { ReasoningTokens = thinking };
        }

        return result;
    }

    /// <summary>Writes the <c>usage</c> member of an OpenAI completion or chunk.</summary>
    public void WriteOpenAi(Utf8JsonWriter writer)
    {
        writer.WriteStartObject("usage"u8);
        writer.WriteNumber("prompt_tokens"u8, PromptTokens);
        writer.WriteNumber("completion_tokens"u8, OutputTokens);
        writer.WriteNumber("total_tokens"u8, TotalTokens);
        writer.WriteStartObject("prompt_tokens_details"u8);
        writer.WriteNumber("cached_tokens"u8, CacheReadTokens);
        writer.WriteEndObject();
        writer.WriteStartObject("completion_tokens_details"u8);
        writer.WriteNumber("reasoning_tokens"u8, ReasoningTokens);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}
