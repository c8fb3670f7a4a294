namespace Gateway.Grains.Abstractions.Upstream;

/// <summary>One SSE data payload (without the <c>data: </c> prefix), or the failure that ended the stream.</summary>
[GenerateSerializer, Immutable, Alias("gw.UpstreamChunk")]
public sealed record UpstreamChunk(
    [property: Id(0)] byte[]? Data,
    [property: Id(1)] UpstreamFailure? Failure);
