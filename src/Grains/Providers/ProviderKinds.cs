namespace Gateway.Grains.Providers;

/// <summary>The values of <c>Providers:&lt;name&gt;:Kind</c>: the wire format a provider speaks.</summary>
public static class ProviderKinds
{
    /// <summary>OpenAI's chat completions API, as OpenAI, DeepSeek, the compatibility endpoints of Anthropic and Gemini and any compatible server speak it.</summary>
    public const string OpenAi = "openai";

    /// <summary>Anthropic's Messages API (<c>POST {BaseUrl}/v1/messages</c>): OpenAI requests are translated to it and its answers back.</summary>
    public const string Anthropic = "anthropic";

    /// <summary>
    /// Gemini's <c>generateContent</c> API (<c>POST {BaseUrl}/v1beta/models/{model}:generateContent</c>, streams at
    /// <c>:streamGenerateContent?alt=sse</c>): OpenAI requests are translated to it and its answers back.
    /// </summary>
    public const string Gemini = "gemini";

    /// <summary>Every kind the gateway speaks.</summary>
    public static IReadOnlyList<string> All { get; } = [OpenAi, Anthropic, Gemini];

    /// <summary>The kind named by <paramref name="kind"/> (any casing), or null when the gateway does not speak it.</summary>
    public static string? Normalize(string kind) =>
        All.FirstOrDefault(known => string.Equals(known, kind, StringComparison.OrdinalIgnoreCase));
}
