namespace Gateway.Grains.Providers;

/// <summary>The values of <c>Providers:&lt;name&gt;:Kind</c>.</summary>
public static class ProviderKinds
{
    /// <summary>OpenAI's chat completions API, as OpenAI, DeepSeek, the compatibility endpoints of Anthropic and Gemini and any compatible server speak it.</summary>
    public const string OpenAi = "openai";
}
