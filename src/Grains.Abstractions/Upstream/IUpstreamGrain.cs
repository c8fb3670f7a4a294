namespace Gateway.Grains.Abstractions.Upstream;

/// <summary>
/// Calls a model's provider for admitted requests and settles (or releases) each tenant's reservation afterwards,
/// so the tenant's turn is never held across the upstream call. Keyed by shard; many calls run at once.
/// </summary>
[Alias("gw.IUpstreamGrain")]
public interface IUpstreamGrain : IGrainWithStringKey
{
    /// <summary>A non-streaming completion.</summary>
    [Alias("CompleteAsync"), ResponseTimeout("00:10:00")]
    Task<UpstreamResponse> CompleteAsync(UpstreamRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// A streaming completion: pushes the SSE data payloads to <paramref name="observer"/> as the provider sends them, and
    /// returns when the stream has ended (settled or released). A failure before the first payload comes as a single
    /// <see cref="UpstreamChunk"/> carrying it; a failure after it as the last chunk.
    /// </summary>
    [Alias("StreamToAsync"), ResponseTimeout("00:30:00")]
    Task StreamToAsync(UpstreamRequest request, IUpstreamStreamObserver observer, CancellationToken cancellationToken = default);

    /// <summary>
    /// Whether this activation is working on <paramref name="requestId"/>. A caller that asks while its call is
    /// pending and hears "no" (twice, or gets no answer) knows the activation running the call is gone, for
    /// instance with a killed silo, instead of waiting out the call's timeout.
    /// </summary>
    [Alias("IsInFlightAsync"), ResponseTimeout("00:00:05")]
    Task<bool> IsInFlightAsync(string requestId);
}
