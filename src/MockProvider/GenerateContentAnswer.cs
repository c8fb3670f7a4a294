namespace Gateway.MockProvider;

/// <summary>
/// What the mock answers one <c>generateContent</c> request with, decided once for the plain and the streamed form: a
/// thought part when thinking is asked for with <c>includeThoughts</c> (<see cref="ThoughtsTokens"/> are reported
/// whenever a budget is set), the text, then <see cref="MockDirectives.ToolCalls"/> <c>functionCall</c> parts calling the
/// declared functions in turn, with args made from their parameters; finish <c>STOP</c> even with calls, as Gemini says
/// it, or <c>MAX_TOKENS</c>. A <c>block_prompt</c> directive blocks the prompt instead. Usage: the counted prompt plus the
/// cached tokens (which Gemini's <c>promptTokenCount</c> includes), candidates the text and the calls, thoughts apart.
/// </summary>
internal sealed record GenerateContentAnswer(
    string ResponseId,
    string Model,
    int CountedPromptTokens,
    int CachedTokens,
    int ThoughtsTokens,
    bool IncludeThoughts,
    int TextTokens,
    IReadOnlyList<GenerateContentAnswer.FunctionCall> Calls,
    bool Capped,
    bool Blocked)
{
    /// <summary>Gemini's <c>promptTokenCount</c>: the cached part included.</summary>
    public int PromptTokens => CountedPromptTokens + CachedTokens;

    /// <summary>Gemini's <c>candidatesTokenCount</c>: the answer without the thoughts.</summary>
    public int CandidatesTokens => Blocked ? 0 : TextTokens + Calls.Sum(c => c.Tokens);

    /// <summary>Everything billed as output: candidates and thoughts.</summary>
    public int OutputTokens => Blocked ? 0 : CandidatesTokens + ThoughtsTokens;

    public string FinishReason => Capped ? "MAX_TOKENS" : "STOP";

    public static GenerateContentAnswer For(GenerateContentRequest request, int defaultCompletionTokens)
    {
        var directives = request.Mock;
        var calls = new List<FunctionCall>();
        var offered = request.FunctionList();
        for (var i = 0; offered.Count > 0 && i < (directives.ToolCalls ?? 0); i++)
        {
            var function = offered[i % offered.Count];
            var name = function.GetProperty("name"u8).GetString()!;
            var args = MessagesAnswer.ToolArguments(function.TryGetProperty("parameters"u8, out var parameters) ? parameters : default, i);
            calls.Add(new FunctionCall(name, args, MockTokenCount.CountText(name) + MockTokenCount.CountText(args)));
        }

        return new GenerateContentAnswer(
            "mock-" + Guid.NewGuid().ToString("N"),
            request.Model,
            MockTokenCount.CountGeminiInputTokens(request.System, request.Contents),
            directives.CacheReadTokens ?? 0,
            request.Thinking ? MessagesAnswer.DefaultThinkingTokens : 0,
            request.IncludeThoughts,
            MockUsage.CompletionTokens(request.MaxOutputTokens, directives.CompletionTokens, defaultCompletionTokens),
            calls,
            MockUsage.IsCappedByMaxTokens(request.MaxOutputTokens, directives.CompletionTokens),
            directives.BlockPrompt);
    }

    /// <summary>One <c>functionCall</c> part: the function's name, its args as JSON text and the tokens it costs.</summary>
    internal sealed record FunctionCall(string Name, string Args, int Tokens);
}
