using Refit;

namespace Gateway.Grains.Providers;

/// <summary>
/// Anthropic's Messages API at <c>{BaseUrl}/v1/messages</c>. The body is the translated request, or a Messages client's own,
/// as bytes; the response is returned unread, so streams are not buffered. A null <c>anthropic-beta</c> is not sent, nor a
/// null <c>beta</c> query (<c>?beta=true</c>, sent for a client that called the beta endpoint).
/// </summary>
public interface IAnthropicMessagesApi
{
    [Post("/v1/messages")]
    Task<HttpResponseMessage> MessagesAsync(
        [Body] HttpContent body,
        [Header("x-api-key")] string? apiKey,
        [Header("anthropic-version")] string version,
        [Header("anthropic-beta")] string? beta,
        [Query, AliasAs("beta")] string? betaEndpoint,
        CancellationToken cancellationToken);
}
