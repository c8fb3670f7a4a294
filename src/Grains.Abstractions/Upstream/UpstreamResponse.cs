namespace Gateway.Grains.Abstractions.Upstream;

/// <summary>The provider's JSON body on success, or the failure to report (nothing was charged then).</summary>
[GenerateSerializer, Immutable, Alias("gw.UpstreamResponse")]
public sealed record UpstreamResponse(
    [property: Id(0)] byte[]? Body,
    [property: Id(1)] UpstreamFailure? Failure);
