namespace Gateway.Grains.Providers.Gemini;

/// <summary>
/// What the request translation needs to know about the Gemini model it writes for. The model's name is not here: it
/// goes in the URL (<c>/v1beta/models/{model}:generateContent</c>), never in the body.
/// </summary>
/// <param name="MaxOutputTokens">The model's output cap: what a request without a limit may produce, and the most a thinking budget raises <c>maxOutputTokens</c> to.</param>
/// <param name="MaxThinkingBudget">The largest <c>thinkingBudget</c> the model takes (Gemini 2.5 Flash 24,576, 2.5 Pro 32,768): a larger budget is lowered to it.</param>
/// <param name="MaxCandidates">The most candidates (OpenAI's <c>n</c>) the model gives in one call; Gemini's documented limit is 8.</param>
public sealed record GeminiRequestOptions(int MaxOutputTokens, int MaxThinkingBudget = 24576, int MaxCandidates = 8);
