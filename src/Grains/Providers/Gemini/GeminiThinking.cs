using System.Text.Json;
using Gateway.Grains.Providers.Translation;

namespace Gateway.Grains.Providers.Gemini;

/// <summary>
/// OpenAI's <c>reasoning_effort</c> as Gemini's <c>thinkingConfig</c>: a <c>thinkingBudget</c> per effort, the numbers
/// Google's own OpenAI-compatible endpoint uses (<c>low</c> 1,024, <c>medium</c> 8,192, <c>high</c> 24,576) with
/// <c>minimal</c> 512 and <c>xhigh</c> 32,768 beside them, each lowered to the model's largest budget; and
/// <c>includeThoughts</c>, so the thoughts come back as <c>reasoning_content</c>. <c>none</c> is a budget of 0, which
/// turns thinking off where the model allows it (Gemini 2.5 Pro always thinks and refuses 0). Thoughts count against
/// <c>maxOutputTokens</c>, so a client's limit is raised by the budget (within the model's output cap), leaving the
/// client's limit for the answer, as the Anthropic translation does. Without <c>reasoning_effort</c> the model thinks as
/// it decides and nothing is set.
/// </summary>
internal readonly record struct GeminiThinking(int? Budget, int? MaxOutputTokens)
{
    public static TranslationRefusal? Plan(JsonElement root, GeminiRequestOptions options, int? maxTokens, out GeminiThinking thinking)
    {
        thinking = new GeminiThinking(null, maxTokens);
        if (!root.TryGetProperty("reasoning_effort", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        int? budget = (value.ValueKind == JsonValueKind.String ? value.GetString() : null) switch
        {
            "none" => 0,
            "minimal" => 512,
            "low" => 1024,
            "medium" => 8192,
            "high" => 24576,
            "xhigh" => 32768,
            _ => null,
        };
        if (budget is not { } wanted)
        {
            return TranslationRefusal.UnsupportedValue("'reasoning_effort' must be one of none, minimal, low, medium, high, xhigh.", "reasoning_effort");
        }

        var granted = Math.Min(wanted, options.MaxThinkingBudget);
        thinking = new GeminiThinking(granted, maxTokens is { } limit ? (int)Math.Min(options.MaxOutputTokens, (long)limit + granted) : null);
        return null;
    }

    /// <summary>Writes <c>thinkingConfig</c> as a member of <c>generationConfig</c>, when an effort was asked for.</summary>
    public void Write(Utf8JsonWriter writer)
    {
        if (Budget is not { } budget)
        {
            return;
        }

        writer.WriteStartObject("thinkingConfig"u8);
        writer.WriteNumber("thinkingBudget"u8, budget);
        if (budget > 0)
        {
            writer.WriteBoolean("includeThoughts"u8, true);
        }

        writer.WriteEndObject();
    }
}
