namespace Gateway.MockProvider;

/// <summary>
/// How much a request gets: tokens per choice, whether max tokens cut it, and how many choices; and what its usage reports
/// besides: <see cref="CachedTokens"/> of the prompt read from the cache (included in the prompt tokens the caller counts)
/// and <see cref="ReasoningTokens"/> the model spent unseen (added to the completion tokens, as OpenAI counts them).
/// </summary>
internal readonly record struct CompletionPlan(int TokensPerChoice, bool Capped, int Choices, int CachedTokens = 0, int ReasoningTokens = 0)
{
    public int TotalTokens => TokensPerChoice * Choices;
}
