using System.Text.Json;
using Gateway.Grains.Providers.Translation;

namespace Gateway.Grains.Providers.Anthropic;

/// <summary>
/// OpenAI's <c>reasoning_effort</c> as Anthropic thinking. With budgets, each effort has a thinking budget (<c>minimal</c>
/// 1,024, Anthropic's minimum; <c>low</c> 2,048; <c>medium</c> 8,192; <c>high</c> 16,384; <c>xhigh</c> 32,768) and, as
/// thinking counts against <c>max_tokens</c>, <c>max_tokens</c> grows by the budget (within the model's output cap) so
/// the client's limit is still there for the answer; the budget shrinks to stay under a capped <c>max_tokens</c>.
/// Adaptive models get the effort itself (<c>minimal</c> as <c>low</c>). <c>none</c> asks for no thinking.
/// </summary>
internal readonly record struct AnthropicThinking(int BudgetTokens, string? AdaptiveEffort, int MaxTokens)
{
    private const int MinimumBudget = 1024;

    public bool Enabled => BudgetTokens > 0 || AdaptiveEffort is not null;

    public static TranslationRefusal? Plan(JsonElement root, AnthropicRequestOptions options, int maxTokens, out AnthropicThinking thinking)
    {
        thinking = new AnthropicThinking(0, null, maxTokens);
        if (!root.TryGetProperty("reasoning_effort", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var effort = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        int? budget = effort switch
        {
            "none" => 0,
            "minimal" => MinimumBudget,
            "low" => 2048,
            "medium" => 8192,
            "high" => 16384,
            "xhigh" => 32768,
            _ => null,
        };
        if (budget is not { } wanted)
        {
            return TranslationRefusal.UnsupportedValue("'reasoning_effort' must be one of none, minimal, low, medium, high, xhigh.", "reasoning_effort");
        }

        if (wanted == 0)
        {
            return null;
        }

        if (options.ThinkingStyle == AnthropicThinkingStyle.Adaptive)
        {
            thinking = thinking with { AdaptiveEffort = effort == "minimal" ? "low" : effort };
            return null;
        }

        var raised = (int)Math.Min(options.MaxOutputTokens, (long)maxTokens + wanted);
        var granted = Math.Min(wanted, raised - 1);
        if (granted < MinimumBudget)
        {
            return TranslationRefusal.Unsupported(
                $"This model's output cap of {options.MaxOutputTokens} tokens leaves no room for a thinking budget of at least {MinimumBudget} tokens.", "reasoning_effort");
        }

        thinking = new AnthropicThinking(granted, null, raised);
        return null;
    }

    public void Write(Utf8JsonWriter writer)
    {
        if (!Enabled)
        {
            return;
        }

        writer.WriteStartObject("thinking"u8);
        if (AdaptiveEffort is not null)
        {
            writer.WriteString("type"u8, "adaptive"u8);
        }
        else
        {
            writer.WriteString("type"u8, "enabled"u8);
            writer.WriteNumber("budget_tokens"u8, BudgetTokens);
        }

        writer.WriteEndObject();
    }
}
