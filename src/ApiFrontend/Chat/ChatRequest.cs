using Gateway.Grains.Models;

namespace Gateway.ApiFrontend.Chat;

/// <summary>
/// A validated chat completion request: what admission needs, and the body to send upstream (without its <c>model</c>).
/// <see cref="RequestedOutputTokens"/> is the client's output limit per choice, when it set one.
/// </summary>
public sealed record ChatRequest(
    string ModelId,
    ModelDefinition Model,
    bool Stream,
    bool ClientWantsUsage,
    int PromptTokens,
    int MaxOutputTokens,
    byte[] UpstreamBody,
    int? RequestedOutputTokens,
    int Choices);
