namespace Gateway.Grains.Abstractions.Upstream;

/// <summary>
/// One admitted request on its way to a provider. <see cref="Body"/> is the client's JSON object without its
/// <c>model</c> member (and, for streams, with the usage chunk requested): the worker writes the upstream model name of
/// whichever deployment serves each attempt. <see cref="Chain"/> is the model and the fallbacks admission reserved for, in
/// order; empty means <see cref="Model"/> alone. <see cref="FairShareWeight"/> is the tenant's weight in a deployment's
/// fair queue when the deployment is full. <see cref="Native"/>, when set, is the client's own request, sent as it is to a
/// deployment whose provider speaks the client's dialect (then <see cref="Body"/>, its translation, goes to the others).
/// <see cref="Model"/> and <see cref="Chain"/> are catalog ids (the frontend resolved the client's name once);
/// <see cref="OutputCaps"/>, in the order of <see cref="ServingChain"/>, is the most output each model may write in one
/// completion, as admission found it, so the worker bounds a translated request without a catalog lookup.
/// <see cref="TraceParent"/> and <see cref="TraceState"/> are the request's trace context when its trace is recorded, for
/// the worker's span.
/// </summary>
[GenerateSerializer, Immutable, Alias("gw.UpstreamRequest")]
public sealed record UpstreamRequest(
    [property: Id(0)] string TenantId,
    [property: Id(1)] string RequestId,
    [property: Id(2)] string Model,
    [property: Id(3)] byte[] Body,
    [property: Id(4)] int PromptTokens,
    [property: Id(5)] bool ClientWantsUsage,
    [property: Id(6)] string[]? Chain = null,
    [property: Id(7)] long ReservedTokens = 0,
    [property: Id(8)] CacheDirective? Cache = null,
    [property: Id(9)] int FairShareWeight = 1,
    [property: Id(10)] NativeRequest? Native = null,
    [property: Id(11)] int[]? OutputCaps = null,
    [property: Id(12)] string? TraceParent = null,
    [property: Id(13)] string? TraceState = null) : ITraceContextCarrier
{
    /// <summary>The models that may serve this request, in order.</summary>
    public IReadOnlyList<string> ServingChain => Chain is { Length: > 0 } chain ? chain : [Model];

    /// <summary>
    /// The most output <paramref name="modelId"/>, a model of <see cref="ServingChain"/>, may write in one completion; null
    /// when the request carries none (sent by a frontend from before it was carried: its reservation alone bounds it).
    /// </summary>
    public int? OutputCapOf(string modelId)
    {
        if (OutputCaps is not { } caps)
        {
            return null;
        }

        var chain = ServingChain;
        for (var i = 0; i < chain.Count && i < caps.Length; i++)
        {
            if (string.Equals(chain[i], modelId, StringComparison.OrdinalIgnoreCase))
            {
                return caps[i];
            }
        }

        return null;
    }
}
