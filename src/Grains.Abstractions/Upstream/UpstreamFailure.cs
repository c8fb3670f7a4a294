namespace Gateway.Grains.Abstractions.Upstream;

/// <summary>
/// Why a call to a provider failed: the kind, which provider (a configured provider name, never a URL or key), what the
/// provider itself answered when it answered, and how long to wait before retrying when that is known. <see cref="Param"/>
/// and <see cref="Code"/> name the request's member at fault and why, when the gateway itself refused it
/// (<see cref="UpstreamFailureKind.Untranslatable"/>).
/// </summary>
[GenerateSerializer, Immutable, Alias("gw.UpstreamFailure.v2")]
public sealed record UpstreamFailure(
    [property: Id(0)] UpstreamFailureKind Kind,
    [property: Id(1)] string? Provider = null,
    [property: Id(2)] int? ProviderStatus = null,
    [property: Id(3)] string? ProviderMessage = null,
    [property: Id(4)] TimeSpan? RetryAfter = null,
    [property: Id(5)] string? Param = null,
    [property: Id(6)] string? Code = null);
