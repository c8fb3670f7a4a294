namespace Gateway.Grains.Providers.Gemini;

/// <summary>
/// A <c>generateContent</c> request ready to send: its JSON body; the output it allows (the client's limit raised for a
/// thinking budget, or the model's cap when the client named none: what a worst-case reservation must cover); whether it
/// is to be streamed (then the call goes to <c>:streamGenerateContent?alt=sse</c>, as the body has no stream flag); and
/// the number of candidates asked for (each may produce <see cref="MaxTokens"/>: the worst case is their product).
/// </summary>
public sealed record GeminiRequestTranslation(byte[] Body, int MaxTokens, bool Stream, int Candidates);
