using Gateway.Grains.Models;

namespace Gateway.ApiFrontend.Chat;

/// <summary>A validated chat completion request: what admission needs, and the body to send upstream.</summary>
public sealed record ChatRequest(
    string ModelId,
    ModelDefinition Model,
    bool Stream,
    bool ClientWantsUsage,
    int PromptTokens,
    int MaxOutputTokens,
    byte[] UpstreamBody);
