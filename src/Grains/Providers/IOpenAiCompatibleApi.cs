using Refit;

namespace Gateway.Grains.Providers;

/// <summary>
/// The OpenAI chat completions API as OpenAI, DeepSeek, Anthropic's and Gemini's compatibility endpoints and
/// any OpenAI-compatible server serve it. Bodies pass through as bytes, so fields the gateway does not know
/// reach the provider untouched; the response is returned unread, so streams are not buffered.
/// </summary>
public interface IOpenAiCompatibleApi
{
    [Post("/chat/completions")]
    Task<HttpResponseMessage> ChatCompletionsAsync(
        [Body] HttpContent body,
        [Header("Authorization")] string? authorization,
        CancellationToken cancellationToken);
}
