namespace Gateway.Grains.Abstractions.Upstream;

/// <summary>
/// One admitted request on its way to the provider. <see cref="Body"/> is the client's JSON with the model
/// name mapped to the provider's and, for streams, the usage chunk requested.
/// </summary>
[GenerateSerializer, Immutable, Alias("gw.UpstreamRequest")]
public sealed record UpstreamRequest(
    [property: Id(0)] string TenantId,
    [property: Id(1)] string RequestId,
    [property: Id(2)] string Model,
    [property: Id(3)] byte[] Body,
    [property: Id(4)] int PromptTokens,
    [property: Id(5)] bool ClientWantsUsage);
