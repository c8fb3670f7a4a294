namespace Gateway.Grains.Abstractions.Upstream;

/// <summary>
/// The provider's JSON body on success (its <c>model</c> the catalog id of the model that served), or the failure (nothing
/// charged). <see cref="QueuedMs"/>: how long the request waited in a full deployment's queue, when it did.
/// <see cref="ProviderTime"/>: how long the providers took (every attempt), so the frontend knows its own share.
/// <see cref="Native"/>: the body is the provider's answer in the client's own dialect (a request's
/// <see cref="UpstreamRequest.Native"/> served natively), not an OpenAI completion.
/// </summary>
[GenerateSerializer, Immutable, Alias("gw.UpstreamResponse")]
public sealed record UpstreamResponse(
    [property: Id(0)] byte[]? Body,
    [property: Id(1)] UpstreamFailure? Failure,
    [property: Id(2)] bool CacheHit = false,
    [property: Id(3)] long? QueuedMs = null,
    [property: Id(4)] TimeSpan ProviderTime = default,
    [property: Id(5)] bool Native = false);
