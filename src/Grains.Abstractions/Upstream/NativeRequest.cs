namespace Gateway.Grains.Abstractions.Upstream;

/// <summary>
/// The client's request as it came, in its own <see cref="Dialect"/>, for a deployment whose provider speaks that dialect:
/// there it is sent as it is (only its <c>model</c> rewritten to the deployment's), so members the gateway does not
/// translate (Anthropic's <c>cache_control</c>, thinking blocks and their signatures, <c>metadata</c>, fields the gateway
/// does not know) reach the provider. <see cref="Version"/> and <see cref="Beta"/> are the client's
/// <c>anthropic-version</c> and <c>anthropic-beta</c> headers, sent with it; <see cref="BetaEndpoint"/>, that the client
/// called <c>?beta=true</c> (as the Anthropic SDKs' beta clients do), which goes upstream too. Any other deployment gets the translated
/// <see cref="UpstreamRequest.Body"/>, unless <see cref="Untranslatable"/> says why the translation lacks parts of the
/// request (a server tool, say): then only a deployment that speaks the dialect may serve it.
/// </summary>
[GenerateSerializer, Immutable, Alias("gw.NativeRequest")]
public sealed record NativeRequest(
    [property: Id(0)] IngressDialect Dialect,
    [property: Id(1)] byte[] Body,
    [property: Id(2)] string? Version = null,
    [property: Id(3)] string? Beta = null,
    [property: Id(4)] string? Untranslatable = null,
    [property: Id(5)] bool BetaEndpoint = false);
