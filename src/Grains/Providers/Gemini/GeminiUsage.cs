using System.Text.Json;
using Gateway.Grains.Providers.Translation;

namespace Gateway.Grains.Providers.Gemini;

/// <summary>
/// The tokens a Gemini call used, from its <c>usageMetadata</c>. Gemini's <c>promptTokenCount</c> already includes the
/// cached input (<c>cachedContentTokenCount</c>), so OpenAI's <c>prompt_tokens</c> is the prompt (plus the prompts of
/// tool use, which Gemini bills as input) and <c>cached_tokens</c> the cached part of it; <c>candidatesTokenCount</c>
/// excludes the thoughts (<c>thoughtsTokenCount</c>), which are billed as output, so <c>completion_tokens</c> is their
/// sum (the bug of Portkey PR #1458) and <c>reasoning_tokens</c> the thoughts.
/// </summary>
public readonly record struct GeminiUsage(
    long PromptTokens,
    long CachedTokens,
    long CandidatesTokens,
    long ThoughtsTokens,
    long ToolUsePromptTokens) : IOpenAiUsage
{
    /// <summary>Input not read from the cache: priced as input.</summary>
    public long UncachedInputTokens => Math.Max(0, PromptTokens + ToolUsePromptTokens - CachedTokens);

    /// <summary>OpenAI's <c>prompt_tokens</c>: all input, cached included.</summary>
    public long InputTokens => PromptTokens + ToolUsePromptTokens;

    /// <summary>OpenAI's <c>completion_tokens</c>: the answer and the thoughts, both priced as output.</summary>
    public long OutputTokens => CandidatesTokens + ThoughtsTokens;

    public long TotalTokens => InputTokens + OutputTokens;

    /// <summary>
    /// Reads a <c>usageMetadata</c>; false unless it has a valid <c>promptTokenCount</c>. Absent counts are zero (a stream's
    /// first events report no candidates yet). In a stream each event's <c>usageMetadata</c> is the running total: the last
    /// one read replaces the earlier ones, never adds to them.
    /// </summary>
    public static bool TryRead(JsonElement usage, out GeminiUsage value)
    {
        value = default;
        if (!TokenCounts.TryRead(usage, "promptTokenCount", out var prompt))
        {
            return false;
        }

        TokenCounts.TryRead(usage, "cachedContentTokenCount", out var cached);
        TokenCounts.TryRead(usage, "candidatesTokenCount", out var candidates);
        TokenCounts.TryRead(usage, "thoughtsTokenCount", out var thoughts);
        TokenCounts.TryRead(usage, "toolUsePromptTokenCount", out var toolUse);
        value = new GeminiUsage(prompt, cached, candidates, thoughts, toolUse);
        return true;
    }

    /// <summary>Writes the <c>usage</c> member of an OpenAI completion or chunk.</summary>
    public void WriteOpenAi(Utf8JsonWriter writer)
    {
        writer.WriteStartObject("usage"u8);
        writer.WriteNumber("prompt_tokens"u8, InputTokens);
        writer.WriteNumber("completion_tokens"u8, OutputTokens);
        writer.WriteNumber("total_tokens"u8, TotalTokens);
        writer.WriteStartObject("prompt_tokens_details"u8);
        writer.WriteNumber("cached_tokens"u8, CachedTokens);
        writer.WriteEndObject();
        writer.WriteStartObject("completion_tokens_details"u8);
        writer.WriteNumber("reasoning_tokens"u8, ThoughtsTokens);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}
