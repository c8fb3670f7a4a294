namespace Gateway.ApiFrontend.Chat;

/// <summary>
/// A validated chat completion request: what admission needs, and the body to send upstream (without its <c>model</c>).
/// <see cref="RequestedOutputTokens"/> is the client's output limit per choice, when it set one. When
/// <see cref="PromptIsUpperBound"/>, <see cref="PromptTokens"/> is a bound found without tokenizing (a large prompt),
/// still to be counted (see <see cref="LargePrompts"/>). <see cref="Native"/>: the client's own request, for a provider that
/// speaks its dialect (<see cref="UpstreamBody"/>, its translation, is what is validated, counted and sent to the others);
/// <see cref="NativeOnlyTokens"/>, included in <see cref="PromptTokens"/>, are those of its parts the translation lacks.
/// </summary>
public sealed record ChatRequest(
    string ModelId,
    bool Stream,
    bool ClientWantsUsage,
    int PromptTokens,
    int MaxOutputTokens,
    byte[] UpstreamBody,
    int? RequestedOutputTokens,
    int Choices,
    bool PromptIsUpperBound = false,
    Gateway.Grains.Abstractions.Upstream.NativeRequest? Native = null,
    int NativeOnlyTokens = 0);
