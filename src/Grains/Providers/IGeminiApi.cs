using Refit;

namespace Gateway.Grains.Providers;

/// <summary>
/// Gemini's <c>generateContent</c> API at <c>{BaseUrl}/v1beta/models/{model}</c>: the model is in the path, not the body,
/// and a stream is a method of its own (<c>alt=sse</c> asks for server-sent events rather than one JSON array). The body
/// is the translated request as bytes; the response is returned unread, so streams are not buffered.
/// </summary>
public interface IGeminiApi
{
    [Post("/v1beta/models/{model}:generateContent")]
    Task<HttpResponseMessage> GenerateContentAsync(
        string model,
        [Body] HttpContent body,
        [Header("x-goog-api-key")] string? apiKey,
        CancellationToken cancellationToken);

    [Post("/v1beta/models/{model}:streamGenerateContent?alt=sse")]
    Task<HttpResponseMessage> StreamGenerateContentAsync(
        string model,
        [Body] HttpContent body,
        [Header("x-goog-api-key")] string? apiKey,
        CancellationToken cancellationToken);
}
