namespace Gateway.MockProvider;

/// <summary>How much a request gets: tokens per choice, whether max tokens cut it, and how many choices.</summary>
internal readonly record struct CompletionPlan(int TokensPerChoice, bool Capped, int Choices)
{
    public int TotalTokens => TokensPerChoice * Choices;
}
