namespace Gateway.Grains.Abstractions.Upstream;

/// <summary>
/// One SSE data payload (without the <c>data: </c> prefix), or the failure that ended the stream, or <see cref="End"/>:
/// the stream is complete. <see cref="CacheHit"/> marks the chunks of a stream replayed from the tenant's response cache;
/// <see cref="QueuedMs"/>, on the first chunk, how long the request waited in a full deployment's queue, when it did.
/// The first chunk from a provider carries <see cref="ProviderTime"/>: how long the providers took to it (every attempt),
/// and <see cref="Native"/> when the stream is the provider's own events in the client's dialect (a request's
/// <see cref="UpstreamRequest.Native"/> served natively) rather than OpenAI chunks.
/// </summary>
[GenerateSerializer, Immutable, Alias("gw.UpstreamChunk")]
public sealed record UpstreamChunk(
    [property: Id(0)] byte[]? Data,
    [property: Id(1)] UpstreamFailure? Failure,
    [property: Id(2)] bool End = false,
    [property: Id(3)] bool CacheHit = false,
    [property: Id(4)] long? QueuedMs = null,
    [property: Id(5)] TimeSpan ProviderTime = default,
    [property: Id(6)] bool Native = false)
{
    /// <summary>How often a worker pushes a heartbeat while a stream runs; a frontend that hears nothing for ten of these takes the stream as lost with its silo.</summary>
    public static TimeSpan HeartbeatInterval { get; } = TimeSpan.FromSeconds(2);

    /// <summary>The last push of a stream that completed: everything before it was delivered.</summary>
    public static UpstreamChunk EndOfStream { get; } = new(null, null, End: true);

}
