namespace Gateway.Grains.Providers.Anthropic;

/// <summary>How a model is asked to think when the client sets <c>reasoning_effort</c>.</summary>
public enum AnthropicThinkingStyle
{
    /// <summary><c>thinking: {type: enabled, budget_tokens}</c>, the budget chosen from the effort (models up to the 4.5 family).</summary>
    BudgetTokens = 0,

    /// <summary><c>thinking: {type: adaptive}</c> with <c>output_config.effort</c> (newer models, which refuse budgets).</summary>
    Adaptive = 1,
}
