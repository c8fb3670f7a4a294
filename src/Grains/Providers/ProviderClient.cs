namespace Gateway.Grains.Providers;

/// <summary>
/// A configured provider: its API, the credential to send (never logged) and its timeouts. <see cref="Api"/> is set for
/// kind <c>openai</c> (with <see cref="Authorization"/>, the whole <c>Authorization</c> header), <see cref="Anthropic"/>
/// for kind <c>anthropic</c> (with <see cref="Authorization"/>, the <c>x-api-key</c> value), <see cref="Gemini"/> for kind
/// <c>gemini</c> (with <see cref="Authorization"/>, the <c>x-goog-api-key</c> value).
/// </summary>
public sealed record ProviderClient(string Name, string Kind, string? Authorization, ProviderOptions Options)
{
    public IOpenAiCompatibleApi? Api { get; init; }

    public IAnthropicMessagesApi? Anthropic { get; init; }

    public IGeminiApi? Gemini { get; init; }

    public override string ToString() => Name;
}
